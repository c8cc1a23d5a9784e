import { z } from 'zod';
import type { OneServerGroupDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccountAndGroup, descriptionBase, regionSchema, serverGroupNameSchema } from './common';

/**
 * Clouddriver's AmazonAsgLifecycleHook.Transition: Jackson binds the constant's name; the AWS
 * value it stands for is accepted too. EC2InstanceLaunchError is a notification, not a hook:
 * AWS refuses it in PutLifecycleHook, so it is refused here, before anything runs.
 */
const TRANSITIONS: Readonly<Record<string, LifecycleTransition>> = {
  EC2InstanceLaunching: 'autoscaling:EC2_INSTANCE_LAUNCHING',
  EC2InstanceTerminating: 'autoscaling:EC2_INSTANCE_TERMINATING',
  'autoscaling:EC2_INSTANCE_LAUNCHING': 'autoscaling:EC2_INSTANCE_LAUNCHING',
  'autoscaling:EC2_INSTANCE_TERMINATING': 'autoscaling:EC2_INSTANCE_TERMINATING',
};

export type LifecycleTransition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';

const arn = (what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what} (a string)`) })
    .regex(/^arn:[^:\s]+:[^:\s]+:/, { error: `must be ${what}` })
    .max(1600, { error: 'must be at most 1600 characters' });

/**
 * Clouddriver's UpsertAsgLifecycleHookDescription (`upsertAsgLifecycleHookDescription`): one hook
 * on one group, with Clouddriver's defaults (terminating, 3600 s, ABANDON) and its validator's
 * rules (group, region, role and notification target required; heartbeat at most 3600 s).
 */
export const upsertAsgLifecycleHookSchema = z
  .looseObject({
    ...descriptionBase,
    serverGroupName: serverGroupNameSchema.optional(),
    region: regionSchema.optional(),
    roleARN: arn('an IAM role ARN'),
    notificationTargetARN: arn('an SNS topic or SQS queue ARN'),
    name: z.string({ error: 'must be a lifecycle hook name (a string)' }).min(1, { error: 'must not be empty' }).max(255).optional(),
    lifecycleTransition: z
      .string({ error: 'must be EC2InstanceLaunching or EC2InstanceTerminating' })
      .refine((t) => t in TRANSITIONS, {
        error: (iss) =>
          iss.input === 'EC2InstanceLaunchError' || iss.input === 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR'
            ? 'EC2InstanceLaunchError is a notification, not a lifecycle hook (AWS refuses it in PutLifecycleHook)'
            : 'must be EC2InstanceLaunching or EC2InstanceTerminating',
      })
      .optional(),
    notificationMetadata: z.string({ error: 'must be a string' }).max(1023, { error: 'must be at most 1023 characters' }).optional(),
    heartbeatTimeout: z
      .number({ error: 'must be a whole number of seconds' })
      .int({ error: 'must be a whole number of seconds' })
      .min(30, { error: 'must be at least 30 seconds' })
      .max(3600, { error: 'Heartbeat Timeout cannot be greater than 3600' })
      .optional(),
    defaultResult: z.enum(['CONTINUE', 'ABANDON'], { error: 'must be CONTINUE or ABANDON' }).optional(),
  })
  .superRefine(checkAccountAndGroup('serverGroupName'), ON_OBJECTS)
  .transform((d): UpsertAsgLifecycleHook => ({
    account: accountOf(d),
    targets: [{ serverGroupName: d.serverGroupName!, region: d.region! }],
    name: d.name,
    hook: {
      lifecycleTransition: TRANSITIONS[d.lifecycleTransition ?? 'EC2InstanceTerminating']!,
      roleArn: d.roleARN,
      notificationTargetArn: d.notificationTargetARN,
      notificationMetadata: d.notificationMetadata,
      heartbeatTimeoutSeconds: d.heartbeatTimeout ?? 3600,
      defaultResult: d.defaultResult ?? 'ABANDON',
    },
    application: applicationOf(d),
  }));

/** A lifecycle hook's settings, as PutLifecycleHook takes them. */
export interface LifecycleHookSettings {
  readonly lifecycleTransition: LifecycleTransition;
  readonly roleArn: string;
  readonly notificationTargetArn: string;
  readonly notificationMetadata?: string | undefined;
  readonly heartbeatTimeoutSeconds: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
}

/** The normalised description of `upsertAsgLifecycleHookDescription`. */
export interface UpsertAsgLifecycleHook extends OneServerGroupDescription {
  /** Absent: a name derived from the group and the task. */
  readonly name?: string | undefined;
  readonly hook: LifecycleHookSettings;
}

export function describeUpsertAsgLifecycleHook(d: UpsertAsgLifecycleHook): string {
  const [t] = d.targets;
  const h = d.hook;
  return `put lifecycle hook ${d.name ?? '(new)'} on ${t.serverGroupName} in ${t.region}: ${h.lifecycleTransition}, ${h.heartbeatTimeoutSeconds} s, then ${h.defaultResult}`;
}
