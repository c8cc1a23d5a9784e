/**
 * The AWS side of createServerGroup and cloneServerGroup. Every step is idempotent: names are
 * chosen by the workflow once, and each created resource carries the `bosun:created-by-task`
 * tag, so a retried attempt adopts what the first one made instead of making a second.
 */
import type { AutoScalingGroup, Tag as AsgTag } from '@aws-sdk/client-auto-scaling';
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  PutLifecycleHookCommand,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling';
import type { _InstanceType, LaunchTemplate, RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { nextSequence, parseServerGroupName, serverGroupName as nameFor } from '../domain/frigga';
import type { LifecycleHookSpec } from '../domain/operations/create-server-group';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { awsCall } from './aws-errors';

export interface DeployResourcesInput {
  readonly account: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly securityGroups: readonly string[];
  readonly targetGroups: readonly string[];
  readonly loadBalancers: readonly string[];
  readonly subnetType?: string | undefined;
  readonly subnetIds?: readonly string[] | undefined;
}

export interface DeployResources {
  readonly securityGroupIds: readonly string[];
  readonly targetGroupArns: readonly string[];
  /** Subnets to launch in; empty = use the zones (or the account's default subnets). */
  readonly subnetIds: readonly string[];
}

export interface ChooseNameInput {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  readonly sequence?: number | undefined;
  /** `createdByValue(taskId, index)`: a group already carrying it is this deploy's own. */
  readonly createdBy: string;
}

export interface LaunchTemplateInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyPair?: string | undefined;
  readonly securityGroupIds: readonly string[];
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly instanceMonitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
}

export interface CreateGroupInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
  readonly launchTemplateId: string;
  readonly maxSize: number;
  readonly zones: readonly string[];
  readonly subnetIds: readonly string[];
  readonly targetGroupArns: readonly string[];
  readonly loadBalancers: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly suspendedProcesses: readonly string[];
  readonly lifecycleHooks: readonly LifecycleHookSpec[];
  readonly healthCheckType?: 'EC2' | 'ELB' | undefined;
  readonly healthCheckGracePeriod?: number | undefined;
  readonly cooldown?: number | undefined;
  readonly terminationPolicies?: readonly string[] | undefined;
}

export interface RollbackInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly createdBy: string;
}

/** What a clone starts from: the source group's settings, in deploy terms. */
export interface CloneSource {
  readonly application: string;
  readonly stack?: string | undefined;
  readonly detail?: string | undefined;
  readonly region: string;
  readonly zones: readonly string[];
  readonly subnetIds: readonly string[];
  readonly capacity: { min: number; max: number; desired: number };
  readonly imageId?: string | undefined;
  readonly instanceType?: string | undefined;
  readonly keyPair?: string | undefined;
  readonly securityGroups: readonly string[];
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly instanceMonitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
  readonly targetGroupArns: readonly string[];
  readonly loadBalancers: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly suspendedProcesses: readonly string[];
  readonly healthCheckType?: 'EC2' | 'ELB' | undefined;
  readonly healthCheckGracePeriod?: number | undefined;
  readonly cooldown?: number | undefined;
  readonly terminationPolicies: readonly string[];
}

/** Tags Bosun never copies from a source group: AWS's own, and Bosun's ownership marker. */
const NOT_COPIED = (key: string) => key.startsWith('aws:') || key === CREATED_BY_TAG;

export function createDeployActivities({ aws }: { aws: AwsClientProvider }) {
  async function describeGroup(c: AwsClients, name: string, region: string): Promise<AutoScalingGroup | undefined> {
    const out = await awsCall(`DescribeAutoScalingGroups ${name} in ${region}`, () =>
      c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
    );
    return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
  }

  async function describeTemplate(c: AwsClients, name: string, region: string): Promise<LaunchTemplate | undefined> {
    try {
      const out = await awsCall(`DescribeLaunchTemplates ${name} in ${region}`, () =>
        c.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })),
      );
      return out.LaunchTemplates?.[0];
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === 'InvalidLaunchTemplateName.NotFoundException') return undefined;
      throw err;
    }
  }

  const tagOf = (tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

  return {
    /**
     * Resolves names a deploy refers to (security groups, target groups, classic load balancers,
     * subnets by purpose) and fails once, naming everything that is missing.
     */
    async resolveDeployResources(input: DeployResourcesInput): Promise<DeployResources> {
      const c = aws.clientsFor(input.account, input.region);
      const missing: string[] = [];

      const ids = input.securityGroups.filter((g) => g.startsWith('sg-'));
      const names = input.securityGroups.filter((g) => !g.startsWith('sg-'));
      const securityGroupIds = [...ids];
      if (names.length > 0) {
        const out = await awsCall(`DescribeSecurityGroups in ${input.region}`, () =>
          c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: names }] })),
        );
        for (const n of names) {
          const found = out.SecurityGroups?.find((g) => g.GroupName === n)?.GroupId;
          if (found) securityGroupIds.push(found);
          else missing.push(`security group '${n}'`);
        }
      }

      const targetGroupArns: string[] = [];
      for (const tg of input.targetGroups) {
        if (tg.startsWith('arn:')) {
          targetGroupArns.push(tg);
          continue;
        }
        const out = await awsCall(`DescribeTargetGroups ${tg} in ${input.region}`, () =>
          c.elbv2.send(new DescribeTargetGroupsCommand({ Names: [tg] })),
        ).catch((err: unknown) => {
          if (err instanceof ApplicationFailure && err.type === 'TargetGroupNotFoundException') return { TargetGroups: [] };
          throw err;
        });
        const arn = out.TargetGroups?.[0]?.TargetGroupArn;
        if (arn) targetGroupArns.push(arn);
        else missing.push(`target group '${tg}'`);
      }

      for (const lb of input.loadBalancers) {
        const out = await awsCall(`DescribeLoadBalancers ${lb} in ${input.region}`, () =>
          c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lb] })),
        ).catch((err: unknown) => {
          if (err instanceof ApplicationFailure && /LoadBalancerNotFound|AccessPointNotFound/.test(err.type ?? '')) return { LoadBalancerDescriptions: [] };
          throw err;
        });
        if ((out.LoadBalancerDescriptions ?? []).length === 0) missing.push(`classic load balancer '${lb}'`);
      }

      let subnetIds: string[] = [...(input.subnetIds ?? [])];
      if (subnetIds.length === 0 && input.subnetType) {
        // Spinnaker's convention: subnets carry `immutable_metadata` = {"purpose": "<subnetType>"}.
        const out = await awsCall(`DescribeSubnets in ${input.region}`, () => c.ec2.send(new DescribeSubnetsCommand({})));
        subnetIds = (out.Subnets ?? [])
          .filter((s) => {
            const meta = tagOf(s.Tags, 'immutable_metadata');
            let purpose: unknown;
            try {
              purpose = meta ? (JSON.parse(meta) as { purpose?: unknown }).purpose : undefined;
            } catch {
              purpose = undefined;
            }
            return purpose === input.subnetType && (input.zones.length === 0 || input.zones.includes(s.AvailabilityZone ?? ''));
          })
          .map((s) => s.SubnetId!)
          .filter(Boolean);
        if (subnetIds.length === 0) {
          missing.push(`subnets with purpose '${input.subnetType}'${input.zones.length ? ` in ${input.zones.join(', ')}` : ''}`);
        }
      }

      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `cannot deploy in ${input.region} (${input.account}): not found: ${missing.join(', ')}`,
          'DeployResourceNotFound',
          { missing },
        );
      }
      return { securityGroupIds, targetGroupArns, subnetIds };
    },

    /**
     * Picks the next free name in the cluster (or the forced `sequence`). Read-only, so a retry
     * is harmless; the workflow records the answer and never asks again.
     */
    async chooseServerGroupName(input: ChooseNameInput): Promise<{ serverGroupName: string; sequence: number }> {
      const c = aws.clientsFor(input.account, input.region);
      const taken: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await awsCall(`DescribeAutoScalingGroups in ${input.region}`, () =>
          c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken: token })),
        );
        for (const g of out.AutoScalingGroups ?? []) {
          const parsed = parseServerGroupName(g.AutoScalingGroupName ?? '');
          if (parsed?.cluster !== input.cluster || parsed.sequence === undefined) continue;
          // This deploy's own group (from an attempt whose answer was lost) keeps its name.
          if (tagOf(g.Tags, CREATED_BY_TAG) === input.createdBy) return { serverGroupName: g.AutoScalingGroupName!, sequence: parsed.sequence };
          taken.push(parsed.sequence);
        }
        token = out.NextToken;
        // A region can hold thousands of groups: report progress per page, so a long scan is
        // not mistaken for a dead worker (the bench saw 20 s scans with 1,000 deploys at once).
        Context.current().heartbeat({ pagesRead: ++pages, taken: taken.length });
      } while (token);

      if (input.sequence !== undefined) {
        if (taken.includes(input.sequence)) {
          throw ApplicationFailure.nonRetryable(
            `${nameFor(input.cluster, input.sequence)} already exists in ${input.region}; choose another sequence`,
            'ServerGroupExists',
          );
        }
        return { serverGroupName: nameFor(input.cluster, input.sequence), sequence: input.sequence };
      }
      const next = nextSequence(taken);
      if (next === undefined) {
        throw ApplicationFailure.nonRetryable(`cluster ${input.cluster} in ${input.region} has all 1000 sequence numbers in use`, 'ClusterFull');
      }
      return { serverGroupName: nameFor(input.cluster, next), sequence: next };
    },

    /**
     * Creates the group's launch template, named after the group. A template of that name made
     * by this deploy is adopted; one made by anyone else is a conflict, never silently reused.
     */
    async createServerGroupLaunchTemplate(input: LaunchTemplateInput): Promise<{ launchTemplateId: string; launchTemplateName: string }> {
      const c = aws.clientsFor(input.account, input.region);
      const name = input.serverGroupName;
      const adopt = async () => {
        const existing = await describeTemplate(c, name, input.region);
        if (!existing) return undefined;
        if (tagOf(existing.Tags, CREATED_BY_TAG) !== input.createdBy) {
          throw ApplicationFailure.nonRetryable(
            `launch template ${name} already exists in ${input.region} and was not made by this deploy (${tagOf(existing.Tags, CREATED_BY_TAG) ?? 'untagged'})`,
            'LaunchTemplateConflict',
          );
        }
        return { launchTemplateId: existing.LaunchTemplateId!, launchTemplateName: name };
      };
      const found = await adopt();
      if (found) return found;

      const data: RequestLaunchTemplateData = {
        ImageId: input.imageId,
        InstanceType: input.instanceType as _InstanceType,
        ...(input.keyPair ? { KeyName: input.keyPair } : {}),
        ...(input.securityGroupIds.length ? { SecurityGroupIds: [...input.securityGroupIds] } : {}),
        ...(input.iamRole ? { IamInstanceProfile: { Name: input.iamRole } } : {}),
        ...(input.base64UserData ? { UserData: input.base64UserData } : {}),
        ...(input.instanceMonitoring !== undefined ? { Monitoring: { Enabled: input.instanceMonitoring } } : {}),
        ...(input.ebsOptimized !== undefined ? { EbsOptimized: input.ebsOptimized } : {}),
      };
      try {
        const out = await awsCall(`CreateLaunchTemplate ${name} in ${input.region}`, () =>
          c.ec2.send(
            new CreateLaunchTemplateCommand({
              LaunchTemplateName: name,
              LaunchTemplateData: data,
              // Idempotency token for real AWS; the emulator ignores it, hence the tag check above.
              ClientToken: input.createdBy.slice(-64),
              TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }] }],
            }),
          ),
        );
        return { launchTemplateId: out.LaunchTemplate!.LaunchTemplateId!, launchTemplateName: name };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === 'InvalidLaunchTemplateName.AlreadyExistsException') {
          const raced = await adopt();
          if (raced) return raced;
        }
        throw err;
      }
    },

    /**
     * Creates the Auto Scaling group at zero instances, then suspends processes and adds lifecycle
     * hooks, so no instance launches before the group is fully configured; the workflow sets the
     * real capacity afterwards. The emulator silently replaces a group on a duplicate name, so
     * the group is described first and adopted only if it carries this deploy's tag.
     */
    async createAutoScalingGroup(input: CreateGroupInput): Promise<{ adopted: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const existing = await describeGroup(c, input.serverGroupName, input.region);
      let adopted = false;
      if (existing) {
        if (tagOf(existing.Tags, CREATED_BY_TAG) !== input.createdBy) {
          throw ApplicationFailure.nonRetryable(
            `${input.serverGroupName} already exists in ${input.region} and was not made by this deploy`,
            'ServerGroupExists',
          );
        }
        adopted = true;
      } else {
        const tags: AsgTag[] = Object.entries({ ...input.tags, [CREATED_BY_TAG]: input.createdBy }).map(([Key, Value]) => ({
          Key,
          Value,
          PropagateAtLaunch: Key !== CREATED_BY_TAG,
          ResourceId: input.serverGroupName,
          ResourceType: 'auto-scaling-group',
        }));
        try {
          await awsCall(`CreateAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
            c.autoScaling.send(
              new CreateAutoScalingGroupCommand({
                AutoScalingGroupName: input.serverGroupName,
                LaunchTemplate: { LaunchTemplateId: input.launchTemplateId, Version: '$Latest' },
                MinSize: 0,
                MaxSize: input.maxSize,
                DesiredCapacity: 0,
                ...(input.subnetIds.length
                  ? { VPCZoneIdentifier: input.subnetIds.join(',') }
                  : input.zones.length
                    ? { AvailabilityZones: [...input.zones] }
                    : {}),
                ...(input.targetGroupArns.length ? { TargetGroupARNs: [...input.targetGroupArns] } : {}),
                ...(input.loadBalancers.length ? { LoadBalancerNames: [...input.loadBalancers] } : {}),
                ...(input.healthCheckType ? { HealthCheckType: input.healthCheckType } : {}),
                ...(input.healthCheckGracePeriod !== undefined ? { HealthCheckGracePeriod: input.healthCheckGracePeriod } : {}),
                ...(input.cooldown !== undefined ? { DefaultCooldown: input.cooldown } : {}),
                ...(input.terminationPolicies?.length ? { TerminationPolicies: [...input.terminationPolicies] } : {}),
                Tags: tags,
              }),
            ),
          );
        } catch (err) {
          // Real AWS: a concurrent attempt got there first. Adopt it only if it is ours.
          if (err instanceof ApplicationFailure && err.type === 'AlreadyExistsFault') {
            const raced = await describeGroup(c, input.serverGroupName, input.region);
            if (tagOf(raced?.Tags, CREATED_BY_TAG) !== input.createdBy) throw err;
            adopted = true;
          } else {
            throw err;
          }
        }
      }
      if (input.suspendedProcesses.length > 0) {
        await awsCall(`SuspendProcesses ${input.suspendedProcesses.join(',')} on ${input.serverGroupName}`, () =>
          c.autoScaling.send(
            new SuspendProcessesCommand({ AutoScalingGroupName: input.serverGroupName, ScalingProcesses: [...input.suspendedProcesses] }),
          ),
        );
      }
      for (const [i, hook] of input.lifecycleHooks.entries()) {
        const hookName = hook.name ?? `${input.serverGroupName}-lifecycle-${i}`;
        await awsCall(`PutLifecycleHook ${hookName} on ${input.serverGroupName}`, () =>
          c.autoScaling.send(
            new PutLifecycleHookCommand({
              AutoScalingGroupName: input.serverGroupName,
              LifecycleHookName: hookName,
              LifecycleTransition: hook.lifecycleTransition,
              RoleARN: hook.roleARN,
              NotificationTargetARN: hook.notificationTargetARN,
              NotificationMetadata: hook.notificationMetadata,
              HeartbeatTimeout: hook.heartbeatTimeout,
              DefaultResult: hook.defaultResult,
            }),
          ),
        );
      }
      return { adopted };
    },

    /**
     * Undoes a failed deploy in one region: force-deletes the group and its launch template,
     * but only what carries this deploy's tag, so a rollback can never touch someone else's.
     */
    async rollbackServerGroup(input: RollbackInput): Promise<{ deletedGroup: boolean; deletedTemplate: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const ctx = Context.current();
      let deletedGroup = false;
      const group = await describeGroup(c, input.serverGroupName, input.region);
      if (group && tagOf(group.Tags, CREATED_BY_TAG) === input.createdBy) {
        await awsCall(`DeleteAutoScalingGroup ${input.serverGroupName} in ${input.region}`, () =>
          c.autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: input.serverGroupName, ForceDelete: true })),
        ).catch((err: unknown) => {
          if (err instanceof ApplicationFailure && err.type === 'ValidationError' && /not found/i.test(err.message)) return;
          throw err;
        });
        deletedGroup = true;
        // The launch template cannot go while the group still uses it.
        for (;;) {
          const still = await describeGroup(c, input.serverGroupName, input.region);
          if (!still) break;
          ctx.heartbeat(`waiting for ${input.serverGroupName} to be deleted (${still.Status ?? 'deleting'})`);
          await ctx.sleep(2000);
        }
      }
      let deletedTemplate = false;
      const template = await describeTemplate(c, input.serverGroupName, input.region);
      if (template && tagOf(template.Tags, CREATED_BY_TAG) === input.createdBy) {
        await awsCall(`DeleteLaunchTemplate ${input.serverGroupName} in ${input.region}`, () =>
          c.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId })),
        ).catch((err: unknown) => {
          if (err instanceof ApplicationFailure && /NotFound/.test(err.type ?? '')) return;
          throw err;
        });
        deletedTemplate = true;
      }
      return { deletedGroup, deletedTemplate };
    },

    /** The settings of a group to clone, from the group and the launch template version it uses. */
    async describeCloneSource(input: { account: string; region: string; serverGroupName: string }): Promise<CloneSource | null> {
      const c = aws.clientsFor(input.account, input.region);
      const g = await describeGroup(c, input.serverGroupName, input.region);
      if (!g) return null;
      const name = parseServerGroupName(input.serverGroupName);
      const lt = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      let data: RequestLaunchTemplateData & { SecurityGroupIds?: string[] } = {};
      if (lt?.LaunchTemplateId || lt?.LaunchTemplateName) {
        const out = await awsCall(`DescribeLaunchTemplateVersions of ${input.serverGroupName}`, () =>
          c.ec2.send(
            new DescribeLaunchTemplateVersionsCommand({
              ...(lt.LaunchTemplateId ? { LaunchTemplateId: lt.LaunchTemplateId } : { LaunchTemplateName: lt.LaunchTemplateName }),
              Versions: [lt.Version ?? '$Default'],
            }),
          ),
        );
        data = (out.LaunchTemplateVersions?.[0]?.LaunchTemplateData ?? {}) as typeof data;
      }
      const tags = Object.fromEntries(
        (g.Tags ?? []).filter((t) => t.Key && !NOT_COPIED(t.Key)).map((t) => [t.Key!, t.Value ?? '']),
      );
      return {
        application: name?.app ?? input.serverGroupName,
        stack: name?.stack,
        detail: name?.detail,
        region: input.region,
        zones: g.AvailabilityZones ?? [],
        subnetIds: (g.VPCZoneIdentifier ?? '').split(',').filter(Boolean),
        capacity: { min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0 },
        imageId: data.ImageId,
        instanceType: data.InstanceType,
        keyPair: data.KeyName,
        securityGroups: data.SecurityGroupIds ?? [],
        iamRole: data.IamInstanceProfile?.Name,
        base64UserData: data.UserData,
        instanceMonitoring: data.Monitoring?.Enabled,
        ebsOptimized: data.EbsOptimized,
        targetGroupArns: g.TargetGroupARNs ?? [],
        loadBalancers: g.LoadBalancerNames ?? [],
        tags,
        suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? '').filter(Boolean),
        healthCheckType: g.HealthCheckType === 'ELB' || g.HealthCheckType === 'EC2' ? g.HealthCheckType : undefined,
        healthCheckGracePeriod: g.HealthCheckGracePeriod,
        cooldown: g.DefaultCooldown,
        terminationPolicies: g.TerminationPolicies ?? [],
      };
    },
  };
}
