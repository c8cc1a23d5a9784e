import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';
import type { AsgProcessName } from '../asg-process-names';
import { ASG_PROCESS_NAMES } from '../asg-process-names';

export type { AsgProcessName } from '../asg-process-names';
export { ASG_PROCESS_NAMES } from '../asg-process-names';

const processName = z.enum(ASG_PROCESS_NAMES, {
  error: (iss) => `'${String(iss.input)}' is not an Auto Scaling process (one of ${ASG_PROCESS_NAMES.join(', ')})`,
});

/**
 * Clouddriver's suspend/resume AsgProcessesDescription. An empty list must never reach AWS:
 * SuspendProcesses and ResumeProcesses without names act on every process of the group.
 */
export const asgProcessesSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    processes: z
      .array(processName, { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of Auto Scaling process names') })
      .min(1, { error: 'must name at least one process' }),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .transform((d): AsgProcessesChange => ({
    ...serverGroupsOf(d),
    processes: [...new Set(d.processes)],
    application: applicationOf(d),
  }));

/** The normalised description of `suspendAsgProcessesDescription` and `resumeAsgProcessesDescription`. */
export interface AsgProcessesChange extends ServerGroupsDescription {
  /** Named once each, in the order given. */
  readonly processes: readonly AsgProcessName[];
}

export type SuspendAsgProcesses = AsgProcessesChange;
export type ResumeAsgProcesses = AsgProcessesChange;

export function describeSuspendProcesses(d: AsgProcessesChange): string {
  return `suspend ${d.processes.join(', ')} of ${where(d)}`;
}

export function describeResumeProcesses(d: AsgProcessesChange): string {
  return `resume ${d.processes.join(', ')} of ${where(d)}`;
}

function where(d: AsgProcessesChange): string {
  return d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
}
