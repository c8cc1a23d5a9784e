/**
 * Moving a server group's instances into and out of its load balancers: ELBv2 target groups and
 * classic ELBs. Each activity reads what is registered first and sends only what is still to do,
 * so a retried attempt finds its own work done and changes nothing twice (moto refuses to
 * deregister an unregistered target, and registers a classic instance twice if asked twice).
 */
import type { ElasticLoadBalancingClient, InstanceState } from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client, TargetDescription, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { HealthState } from '../domain/traffic-share';
import {
  classicLoadBalancerHealth,
  instancesToDisable,
  overClassicLoadBalancers,
  overTargetGroups,
  takesTraffic,
  targetGroupHealth,
} from '../domain/traffic-share';
import { awsCall, awsDescribe } from './aws-errors';
import type { ActivityDeps } from './deps';

export interface InstancesInput {
  readonly account: string;
  readonly region: string;
  /** Whose instances these are: named in messages. */
  readonly serverGroupName: string;
  readonly instanceIds: readonly string[];
}

export interface TargetGroupsInput extends InstancesInput {
  readonly targetGroupArns: readonly string[];
}

export interface ClassicLoadBalancersInput extends InstancesInput {
  readonly loadBalancerNames: readonly string[];
}

export interface MembershipChange {
  /** Instance registrations this attempt added or removed, summed over the load balancers. */
  readonly changed: number;
  /** Target groups or load balancers that no longer exist; deregistration skips them. */
  readonly missing: readonly string[];
}

export interface ChooseInstancesToDisableInput extends InstancesInput {
  readonly targetGroupArns: readonly string[];
  readonly loadBalancerNames: readonly string[];
  /** 1-100: the share of `instanceIds` that should end up disabled. */
  readonly desiredPercentage: number;
}

export interface InstancesToDisable {
  /** The instances to take out now, sorted by id. */
  readonly instanceIds: readonly string[];
  /** Of the input, how many no load balancer sends traffic to already. */
  readonly alreadyDisabled: number;
}

/** Activities that register and deregister a group's instances with target groups and classic load balancers. */
export function createLoadBalancingActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Which instances a partial disable takes out (Clouddriver's getInstanceToModify): those
     * already out of traffic by their target groups' and classic load balancers' health count
     * as disabled, and the rest of ⌈n·p/100⌉ come from the others by instance id. A read: the
     * workflow records the answer, so a retried deregistration works on the same instances.
     */
    async chooseInstancesToDisable(input: ChooseInstancesToDisableInput): Promise<InstancesToDisable> {
      const { elbv2, elb } = aws.clientsFor(input.account, input.region);
      const byTargetGroups = await healthByInstance(
        input.targetGroupArns,
        (arn) => targetHealthOf(elbv2, arn, input.region),
        (d) => [d.Target?.Id, targetGroupHealth(d.TargetHealth?.State)],
      );
      const byClassic = await healthByInstance(
        input.loadBalancerNames,
        (name) => instanceHealthOf(elb, name, input.region),
        (s) => [s.InstanceId, classicLoadBalancerHealth(s.State, s.Description)],
      );
      const sorted = [...new Set(input.instanceIds)].sort();
      const inTraffic = sorted.filter((id) =>
        takesTraffic([overTargetGroups(byTargetGroups.get(id) ?? []), overClassicLoadBalancers(byClassic.get(id) ?? [])]),
      );
      const alreadyDisabled = sorted.length - inTraffic.length;
      return { instanceIds: instancesToDisable(alreadyDisabled, inTraffic, input.desiredPercentage), alreadyDisabled };
    },

    /** Registers the instances with every target group; a missing target group fails the call before anything changes. */
    async registerInstancesWithTargetGroups(input: TargetGroupsInput): Promise<MembershipChange> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      const current = await describeAll(input.targetGroupArns, (arn) => registeredTargets(elbv2, arn, input.region));
      refuseMissing(input, current, 'target group');
      let changed = 0;
      for (const [arn, targets] of current) {
        const present = new Set((targets ?? []).map((t) => t.Id));
        const add = input.instanceIds.filter((id) => !present.has(id));
        if (add.length === 0) continue;
        await awsCall(`RegisterTargets ${add.length} instances of ${input.serverGroupName} with ${arn}`, () =>
          elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: add.map((Id) => ({ Id })) })),
        );
        changed += add.length;
      }
      return { changed, missing: [] };
    },

    /** Deregisters the instances from every target group that still exists, on whatever port each was registered. */
    async deregisterInstancesFromTargetGroups(input: TargetGroupsInput): Promise<MembershipChange> {
      const { elbv2 } = aws.clientsFor(input.account, input.region);
      const current = await describeAll(input.targetGroupArns, (arn) => registeredTargets(elbv2, arn, input.region));
      const wanted = new Set(input.instanceIds);
      let changed = 0;
      for (const [arn, targets] of current) {
        const remove = (targets ?? []).filter((t) => t.Id !== undefined && wanted.has(t.Id));
        if (remove.length === 0) continue;
        await awsCall(`DeregisterTargets ${remove.length} instances of ${input.serverGroupName} from ${arn}`, () =>
          elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: remove.map(({ Id, Port }) => ({ Id, Port })) })),
        );
        changed += remove.length;
      }
      return { changed, missing: missingOf(current) };
    },

    /** Registers the instances with every classic load balancer; a missing one fails the call before anything changes. */
    async registerInstancesWithClassicLoadBalancers(input: ClassicLoadBalancersInput): Promise<MembershipChange> {
      const { elb } = aws.clientsFor(input.account, input.region);
      const current = await describeAll(input.loadBalancerNames, (name) => registeredInstances(elb, name, input.region));
      refuseMissing(input, current, 'classic load balancer');
      let changed = 0;
      for (const [name, registered] of current) {
        const present = new Set(registered);
        const add = input.instanceIds.filter((id) => !present.has(id));
        if (add.length === 0) continue;
        await awsCall(`RegisterInstancesWithLoadBalancer ${add.length} instances of ${input.serverGroupName} with ${name}`, () =>
          elb.send(
            new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: add.map((InstanceId) => ({ InstanceId })) }),
          ),
        );
        changed += add.length;
      }
      return { changed, missing: [] };
    },

    /** Deregisters the instances from every classic load balancer that still exists. */
    async deregisterInstancesFromClassicLoadBalancers(input: ClassicLoadBalancersInput): Promise<MembershipChange> {
      const { elb } = aws.clientsFor(input.account, input.region);
      const current = await describeAll(input.loadBalancerNames, (name) => registeredInstances(elb, name, input.region));
      let changed = 0;
      for (const [name, registered] of current) {
        const present = new Set(registered);
        const remove = input.instanceIds.filter((id) => present.has(id));
        if (remove.length === 0) continue;
        await awsCall(`DeregisterInstancesFromLoadBalancer ${remove.length} instances of ${input.serverGroupName} from ${name}`, () =>
          elb.send(
            new DeregisterInstancesFromLoadBalancerCommand({
              LoadBalancerName: name,
              Instances: remove.map((InstanceId) => ({ InstanceId })),
            }),
          ),
        );
        changed += remove.length;
      }
      return { changed, missing: missingOf(current) };
    },
  };
}

/** One at a time: describing in parallel would only spend the account's API rate faster. null = does not exist. */
async function describeAll<T>(keys: readonly string[], describe: (key: string) => Promise<T | null>): Promise<Map<string, T | null>> {
  const out = new Map<string, T | null>();
  for (const key of keys) out.set(key, await describe(key));
  return out;
}

/** Each target of the target group with its health; null = the target group does not exist. */
async function targetHealthOf(elbv2: ElasticLoadBalancingV2Client, arn: string, region: string): Promise<TargetHealthDescription[] | null> {
  const out = await awsDescribe(
    `DescribeTargetHealth ${arn} in ${region}`,
    () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
    'targetGroup',
  );
  return out ? (out.TargetHealthDescriptions ?? []) : null;
}

/** Each instance registered with the classic load balancer with its state; null = the load balancer does not exist. */
async function instanceHealthOf(elb: ElasticLoadBalancingClient, name: string, region: string): Promise<InstanceState[] | null> {
  const out = await awsDescribe(
    `DescribeInstanceHealth ${name} in ${region}`,
    () => elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name })),
    'classicLoadBalancer',
  );
  return out ? (out.InstanceStates ?? []) : null;
}

/** Each instance's health in every load balancer of `keys` that names it (one describe at a time, as `describeAll`). */
async function healthByInstance<T>(
  keys: readonly string[],
  describe: (key: string) => Promise<T[] | null>,
  healthOf: (entry: T) => readonly [string | undefined, HealthState],
): Promise<Map<string, HealthState[]>> {
  const byId = new Map<string, HealthState[]>();
  for (const key of keys) {
    for (const entry of (await describe(key)) ?? []) {
      const [id, state] = healthOf(entry);
      if (id) byId.set(id, [...(byId.get(id) ?? []), state]);
    }
  }
  return byId;
}

/** Targets registered now, draining ones excluded: those are already on their way out. */
async function registeredTargets(elbv2: ElasticLoadBalancingV2Client, arn: string, region: string): Promise<TargetDescription[] | null> {
  const health = await targetHealthOf(elbv2, arn, region);
  if (!health) return null;
  return health.filter((d) => d.TargetHealth?.State !== 'draining').flatMap((d) => (d.Target ? [d.Target] : []));
}

/** Instance ids registered with a classic load balancer now, whatever their health. */
async function registeredInstances(elb: ElasticLoadBalancingClient, name: string, region: string): Promise<string[] | null> {
  const states = await instanceHealthOf(elb, name, region);
  if (!states) return null;
  return states.flatMap((s) => (s.InstanceId ? [s.InstanceId] : []));
}

function missingOf(current: Map<string, unknown>): string[] {
  return [...current].filter(([, v]) => v === null).map(([k]) => k);
}

/** Registering into something that is gone cannot succeed on a retry: say which, and change nothing. */
function refuseMissing(input: InstancesInput, current: Map<string, unknown>, kind: string): void {
  const missing = missingOf(current);
  if (missing.length === 0) return;
  throw ApplicationFailure.nonRetryable(
    `cannot register ${count(input.instanceIds.length, 'instance')} of ${input.serverGroupName} in ${input.region}: ` +
      `${count(missing.length, kind)} of the group no longer exist${missing.length === 1 ? 's' : ''}: ${missing.join(', ')}`,
    FailureType.LoadBalancerNotFound,
    { serverGroupName: input.serverGroupName, region: input.region, missing },
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
