import type { ResumeAsgProcesses, SuspendAsgProcesses } from '../../domain/operations';
import type { AsgProcessesChange } from '../../domain/operations/schemas/asg-processes';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { serverGroupNotFound } from './target-group';

/**
 * Clouddriver's SuspendAsgProcessesAtomicOperation, except that failures are failures: a missing
 * group fails the task instead of being logged and skipped, because the caller asked for a state
 * Bosun could not produce.
 */
export async function suspendAsgProcessesOperation(ctx: OperationContext, d: SuspendAsgProcesses): Promise<TaskOutput> {
  return changeProcesses(ctx, d, 'suspend');
}

/** Clouddriver's ResumeAsgProcessesAtomicOperation; a missing group fails the task, as for suspend. */
export async function resumeAsgProcessesOperation(ctx: OperationContext, d: ResumeAsgProcesses): Promise<TaskOutput> {
  return changeProcesses(ctx, d, 'resume');
}

async function changeProcesses(ctx: OperationContext, d: AsgProcessesChange, change: 'suspend' | 'resume'): Promise<TaskOutput> {
  const [doing, done, todo, already] =
    change === 'suspend'
      ? (['Suspending', 'suspended', 'Suspend', 'already suspended'] as const)
      : (['Resuming', 'resumed', 'Resume', 'not suspended'] as const);
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await ctx.call('describeServerGroup', `Describe ${where}`, ref);
    if (!group) throw serverGroupNotFound(`${change} processes of`, ref);

    const suspended = new Set(group.suspendedProcesses);
    const pending = d.processes.filter((p) => suspended.has(p) === (change === 'resume'));
    const unchanged = d.processes.filter((p) => !pending.includes(p));
    if (pending.length === 0) {
      ctx.log(`${d.processes.join(', ')} of ${where} ${already}; nothing to do`);
      continue;
    }
    const note = unchanged.length > 0 ? ` (${unchanged.join(', ')} ${already})` : '';
    ctx.log(`${doing} ${count(pending.length)} of ${where}: ${pending.join(', ')}${note}`);
    const result = await ctx.call(
      change === 'suspend' ? 'suspendProcesses' : 'resumeProcesses',
      `${todo} ${pending.join(', ')} of ${where}`,
      {
        ...ref,
        processes: pending,
      },
    );
    if (!result.found) throw serverGroupNotFound(`${change} processes of`, ref);
    ctx.log(`${d.processes.join(', ')} of ${where} ${d.processes.length === 1 ? 'is' : 'are'} ${done}`);
  }
  return { resultObjects: [] };
}

function count(n: number): string {
  return `${n} process${n === 1 ? '' : 'es'}`;
}
