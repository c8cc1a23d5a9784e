/**
 * Settings of an existing Auto Scaling group that pipelines change after the deploy: tags,
 * health check, cooldown, metrics collection, termination policies. Every change describes the
 * group first (moto answers these calls on a missing group with an HTML 500 that would be retried
 * for the whole window) and is an upsert or a delete of what is named, so running it again after
 * a lost answer leaves the group as one run would.
 */
import type { AutoScalingClient, ScheduledUpdateGroupAction } from '@aws-sdk/client-auto-scaling';
import {
  CreateOrUpdateTagsCommand,
  DeleteScheduledActionCommand,
  DeleteTagsCommand,
  DescribeLifecycleHooksCommand,
  DescribeScheduledActionsCommand,
  DeleteLifecycleHookCommand,
  PutLifecycleHookCommand,
  DisableMetricsCollectionCommand,
  EnableMetricsCollectionCommand,
  PutScheduledUpdateGroupActionCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { LifecycleHookSettings } from '../domain/operations/schemas/asg-lifecycle-hook';
import type { ModifyAsg } from '../domain/operations/schemas/modify-asg';
import { awsCall, awsDelete, hasAwsCode } from './aws-errors';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';
import type { ServerGroupRef } from './server-group';
import { allPages } from './paging';

export interface UpsertGroupTagsInput extends ServerGroupRef {
  readonly tags: Readonly<Record<string, string>>;
}

export interface DeleteGroupTagsInput extends ServerGroupRef {
  readonly tagKeys: readonly string[];
}

/** Whether the group existed (the caller decides whether a missing one is fine). */
export interface GroupChange {
  readonly found: boolean;
}

/** What modifyAsgDescription reads of a group before it changes it. */
export interface GroupSettings {
  readonly enabledMetrics: readonly string[];
}

export interface MetricsInput extends ServerGroupRef {
  readonly metrics: readonly string[];
}

/** UpdateAutoScalingGroup's settings, as modifyAsgDescription carries them; an absent one is left as it is. */
export type GroupSettingsUpdate = ModifyAsg['settings'];

export interface UpdateGroupSettingsInput extends ServerGroupRef {
  readonly settings: GroupSettingsUpdate;
}

/** One scheduled action of a group, as upsertAsgScheduledActionsDescription compares them. */
export interface ScheduledAction {
  readonly scheduledActionName: string;
  readonly recurrence?: string | undefined;
  readonly minSize?: number | undefined;
  readonly maxSize?: number | undefined;
  readonly desiredCapacity?: number | undefined;
}

export interface PutScheduledActionInput extends ServerGroupRef {
  readonly action: ScheduledAction;
}

export interface ScheduledActionRef extends ServerGroupRef {
  readonly scheduledActionName: string;
}

export interface LifecycleHookRef extends ServerGroupRef {
  readonly lifecycleHookName: string;
}

export interface PutLifecycleHookInput extends LifecycleHookRef {
  readonly hook: LifecycleHookSettings;
}

/** A live group, or undefined when it does not exist or is being deleted. */
async function liveGroup(autoScaling: AutoScalingClient, ref: ServerGroupRef) {
  const found = await describeOneServerGroup(autoScaling, ref);
  return found && !found.deleting ? found.group : undefined;
}

/** AWS and moto: ValidationError "Scheduled action name not found" / "… hook … not found" (also for a group that is gone). */
const validationNotFound = (err: unknown) => hasAwsCode(err, 'ValidationError') && /not found/i.test((err as Error).message ?? '');

export function createServerGroupSettingsActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Puts the tags on the group, each with PropagateAtLaunch as Clouddriver puts them
     * (UpsertAsgTagsAtomicOperation): CreateOrUpdateTags is an upsert by key.
     */
    async putServerGroupTags(input: UpsertGroupTagsInput): Promise<GroupChange> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await liveGroup(autoScaling, input))) return { found: false };
      const Tags = Object.entries(input.tags).map(([Key, Value]) => ({
        ResourceId: input.serverGroupName,
        ResourceType: 'auto-scaling-group',
        Key,
        Value,
        PropagateAtLaunch: true,
      }));
      await awsCall(`CreateOrUpdateTags ${Object.keys(input.tags).join(', ')} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new CreateOrUpdateTagsCommand({ Tags })),
      );
      return { found: true };
    },

    /** Deletes the tags by key; a key the group does not have is no error (AWS ignores it). */
    async deleteServerGroupTags(input: DeleteGroupTagsInput): Promise<GroupChange> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await liveGroup(autoScaling, input))) return { found: false };
      const Tags = input.tagKeys.map((Key) => ({ ResourceId: input.serverGroupName, ResourceType: 'auto-scaling-group', Key }));
      await awsCall(`DeleteTags ${input.tagKeys.join(', ')} of ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new DeleteTagsCommand({ Tags })),
      );
      return { found: true };
    },

    /** The group's settings modifyAsgDescription diffs against; `null` when it does not exist. */
    async describeServerGroupSettings(input: ServerGroupRef): Promise<GroupSettings | null> {
      const group = await liveGroup(aws.clientsFor(input.account, input.region).autoScaling, input);
      if (!group) return null;
      return { enabledMetrics: (group.EnabledMetrics ?? []).map((m) => m.Metric ?? '').filter(Boolean) };
    },

    /** Enables collection of the metrics at Clouddriver's granularity (1Minute); enabling twice is harmless. */
    async enableServerGroupMetrics(input: MetricsInput): Promise<void> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`EnableMetricsCollection ${input.metrics.join(', ')} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new EnableMetricsCollectionCommand({
            AutoScalingGroupName: input.serverGroupName,
            Granularity: '1Minute',
            Metrics: [...input.metrics],
          }),
        ),
      );
    },

    /**
     * Disables collection of the metrics; disabling twice is harmless. Never called with an empty
     * list: AWS reads that as "every metric".
     */
    async disableServerGroupMetrics(input: MetricsInput): Promise<void> {
      if (input.metrics.length === 0) return;
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`DisableMetricsCollection ${input.metrics.join(', ')} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(new DisableMetricsCollectionCommand({ AutoScalingGroupName: input.serverGroupName, Metrics: [...input.metrics] })),
      );
    },

    /** Every scheduled action of the group (all pages); `null` when the group does not exist. */
    async describeScheduledActions(input: ServerGroupRef): Promise<ScheduledAction[] | null> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await liveGroup(autoScaling, input))) return null;
      return allPages(async (NextToken) => {
        const out = await awsCall(`DescribeScheduledActions of ${input.serverGroupName} in ${input.region}`, () =>
          autoScaling.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: input.serverGroupName, NextToken })),
        );
        return {
          items: (out.ScheduledUpdateGroupActions ?? []).filter((a) => a.ScheduledActionName).map(toScheduledAction),
          next: out.NextToken,
        };
      });
    },

    /** Creates or replaces the action (PutScheduledUpdateGroupAction is an upsert by name). */
    async putScheduledAction(input: PutScheduledActionInput): Promise<void> {
      const a = input.action;
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`PutScheduledUpdateGroupAction ${a.scheduledActionName} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new PutScheduledUpdateGroupActionCommand({
            AutoScalingGroupName: input.serverGroupName,
            ScheduledActionName: a.scheduledActionName,
            Recurrence: a.recurrence,
            MinSize: a.minSize,
            MaxSize: a.maxSize,
            DesiredCapacity: a.desiredCapacity,
          }),
        ),
      );
    },

    /** Deletes the action; one that is not there is success. */
    async deleteScheduledAction(input: ScheduledActionRef): Promise<{ deleted: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      return {
        deleted: await awsDelete(
          `DeleteScheduledAction ${input.scheduledActionName} of ${input.serverGroupName} in ${input.region}`,
          () =>
            autoScaling.send(
              new DeleteScheduledActionCommand({
                AutoScalingGroupName: input.serverGroupName,
                ScheduledActionName: input.scheduledActionName,
              }),
            ),
          validationNotFound,
        ),
      };
    },

    /** Whether the group has a hook of that name; `null` when the group does not exist. */
    async describeLifecycleHook(input: LifecycleHookRef): Promise<{ exists: boolean } | null> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await liveGroup(autoScaling, input))) return null;
      const out = await awsCall(`DescribeLifecycleHooks ${input.lifecycleHookName} of ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new DescribeLifecycleHooksCommand({ AutoScalingGroupName: input.serverGroupName, LifecycleHookNames: [input.lifecycleHookName] }),
        ),
      );
      return { exists: (out.LifecycleHooks ?? []).some((h) => h.LifecycleHookName === input.lifecycleHookName) };
    },

    /** Creates or replaces the hook (PutLifecycleHook is an upsert by name). */
    async putLifecycleHook(input: PutLifecycleHookInput): Promise<void> {
      const h = input.hook;
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`PutLifecycleHook ${input.lifecycleHookName} on ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new PutLifecycleHookCommand({
            AutoScalingGroupName: input.serverGroupName,
            LifecycleHookName: input.lifecycleHookName,
            LifecycleTransition: h.lifecycleTransition,
            RoleARN: h.roleArn,
            NotificationTargetARN: h.notificationTargetArn,
            NotificationMetadata: h.notificationMetadata,
            HeartbeatTimeout: h.heartbeatTimeoutSeconds,
            DefaultResult: h.defaultResult,
          }),
        ),
      );
    },

    /** Deletes the hook; one that is not there (or a group that is gone) is success. */
    async deleteLifecycleHook(input: LifecycleHookRef): Promise<{ deleted: boolean }> {
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      if (!(await liveGroup(autoScaling, input))) return { deleted: false };
      return {
        deleted: await awsDelete(
          `DeleteLifecycleHook ${input.lifecycleHookName} of ${input.serverGroupName} in ${input.region}`,
          () =>
            autoScaling.send(
              new DeleteLifecycleHookCommand({ AutoScalingGroupName: input.serverGroupName, LifecycleHookName: input.lifecycleHookName }),
            ),
          validationNotFound,
        ),
      };
    },

    /** Sets the given settings (absolute values: a repeat sets the same ones). */
    async updateServerGroupSettings(input: UpdateGroupSettingsInput): Promise<void> {
      const s = input.settings;
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(`UpdateAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
        autoScaling.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: input.serverGroupName,
            DefaultCooldown: s.cooldown,
            HealthCheckGracePeriod: s.healthCheckGracePeriod,
            HealthCheckType: s.healthCheckType,
            TerminationPolicies: s.terminationPolicies && s.terminationPolicies.length > 0 ? [...s.terminationPolicies] : undefined,
            CapacityRebalance: s.capacityRebalance,
          }),
        ),
      );
    },
  };
}

function toScheduledAction(a: ScheduledUpdateGroupAction): ScheduledAction {
  return {
    scheduledActionName: a.ScheduledActionName!,
    recurrence: a.Recurrence,
    minSize: a.MinSize,
    maxSize: a.MaxSize,
    desiredCapacity: a.DesiredCapacity,
  };
}
