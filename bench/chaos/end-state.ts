/**
 * After a run: what each succeeded day-two step should have left in AWS, read from moto. A step
 * whose effect is missing is `wrong`; something made more than once (a second scheduled action
 * or lifecycle hook, a second scaling policy) is `duplicated`; something a succeeded step deleted
 * or removed that is still there, or anything else the run made that nothing explains (an alarm,
 * a tag, a registration, a running detached instance) is `leaked`. Steps that did not run (the
 * pipeline stopped earlier) are not checked; what they would have acted on is expected to stay.
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IpPermission } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';
import { withMoto } from './sweep';
import type { StepRecord } from './run';
import type { AppFixture, OpKind, Revision, Scenario } from './workload';
import { detachedInstance, END_STATE, movedInstance, REGION, ruleLine, securityGroupRules } from './workload';

export interface EndState {
  /** How many checks were made (one per fact a succeeded step should have left). */
  readonly checked: number;
  readonly duplicated: readonly string[];
  readonly leaked: readonly string[];
  readonly wrong: readonly string[];
}

export function checkEndState(
  endpoint: string,
  scenarios: readonly Scenario[],
  records: readonly StepRecord[],
  fixtures: ReadonlyMap<string, AppFixture>,
): Promise<EndState> {
  const out = { checked: 0, duplicated: [] as string[], leaked: [] as string[], wrong: [] as string[] };
  const check = (bad: 'duplicated' | 'leaked' | 'wrong', fails: boolean, what: string) => {
    out.checked++;
    if (fails) out[bad].push(what);
  };
  return withMoto(endpoint, async (c) => {
    for (const s of scenarios) {
      const mine = records.filter((r) => r.app === s.app);
      const ran = (kind: OpKind, pick: (r: StepRecord) => boolean = () => true) =>
        mine.find((r) => r.kind === kind && pick(r) && r.outcome.status === 'succeeded');
      // Posted at all: a lost or failed step may or may not have acted, so what it would undo is not checked.
      const posted = (kind: OpKind, pick: (r: StepRecord) => boolean = () => true) =>
        mine.some((r) => r.kind === kind && pick(r) && !r.outcome.skipped);
      const group = mine.find((r) => r.kind === 'deploy' && r.outcome.status === 'succeeded');
      const name = group && !group.outcome.skipped ? group.outcome.deployedGroups[REGION] : undefined;
      const ctx = { s, ran, posted, name, fixture: fixtures.get(s.app), check, c };
      if (s.template === 'groupSettings' && name) await groupSettings(ctx);
      if (s.template === 'scalingAlarms') await scalingAlarms(ctx);
      if (s.template === 'instances' && name) await instances(ctx);
      if (s.template === 'cleanup') await cleanup(ctx);
      if (s.template === 'infrastructure') await infrastructure(ctx);
    }
    return out;
  });
}

interface Ctx {
  readonly s: Scenario;
  readonly ran: (kind: OpKind, pick?: (r: StepRecord) => boolean) => StepRecord | undefined;
  readonly posted: (kind: OpKind, pick?: (r: StepRecord) => boolean) => boolean;
  readonly name: string | undefined;
  readonly fixture: AppFixture | undefined;
  readonly check: (bad: 'duplicated' | 'leaked' | 'wrong', fails: boolean, what: string) => void;
  readonly c: AwsClients;
}

async function describeGroup(c: AwsClients, name: string) {
  return (await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
}

async function groupSettings({ ran, name, check, c, s }: Ctx): Promise<void> {
  const g = await describeGroup(c, name!);
  const tags = (g?.Tags ?? []).filter((t) => t.Key === END_STATE.tagKept);
  if (ran('upsertTags')) check('wrong', tags.length !== 1 || tags[0]!.Value !== s.app, `${name}: tag ${END_STATE.tagKept}=${s.app} once`);
  if (ran('deleteTags')) {
    check(
      'leaked',
      (g?.Tags ?? []).some((t) => t.Key === END_STATE.tagDropped),
      `${name}: tag ${END_STATE.tagDropped} deleted`,
    );
  }
  if (ran('modifyAsg')) {
    // The cooldown is sent too, but moto's UpdateAutoScalingGroup leaves DefaultCooldown as it was.
    check(
      'wrong',
      g?.HealthCheckGracePeriod !== END_STATE.healthCheckGracePeriod,
      `${name}: grace period ${END_STATE.healthCheckGracePeriod} (got ${g?.HealthCheckGracePeriod})`,
    );
  }
  if (ran('scheduledActions')) {
    const actions =
      (await c.autoScaling.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: name }))).ScheduledUpdateGroupActions ?? [];
    const ours = actions.filter((a) => a.Recurrence === END_STATE.scheduledRecurrence);
    check('wrong', ours.length === 0, `${name}: scheduled action ${END_STATE.scheduledRecurrence}`);
    check('duplicated', actions.length > 1, `${name}: one scheduled action (got ${actions.map((a) => a.ScheduledActionName).join(', ')})`);
  }
  if (ran('lifecycleHook')) {
    const hooks = (await c.autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name }))).LifecycleHooks ?? [];
    check('wrong', !hooks.some((h) => h.LifecycleHookName === END_STATE.hookName), `${name}: lifecycle hook ${END_STATE.hookName}`);
    check('duplicated', hooks.length > 1, `${name}: one lifecycle hook (got ${hooks.map((h) => h.LifecycleHookName).join(', ')})`);
  }
}

async function scalingAlarms({ ran, posted, name, check, c, s }: Ctx): Promise<void> {
  if (name && ran('upsertScalingPolicy')) {
    const policies = (await c.autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: name }))).ScalingPolicies ?? [];
    const names = policies.map((p) => p.PolicyName).join(', ');
    if (ran('deleteScalingPolicy')) check('leaked', policies.length > 0, `${name}: scaling policy deleted (left: ${names})`);
    else {
      if (!posted('deleteScalingPolicy')) check('wrong', policies.length === 0, `${name}: a scaling policy`);
      check('duplicated', policies.length > 1, `${name}: one scaling policy (got ${names})`);
    }
  }
  const alarms = (await c.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${s.app}-` }))).MetricAlarms ?? [];
  const present = new Set(alarms.map((a) => a.AlarmName));
  const kept = END_STATE.alarmName(s.app, 'kept');
  const dropped = END_STATE.alarmName(s.app, 'dropped');
  const upserted = (which: 'kept' | 'dropped') => ran('upsertAlarm', (r) => s.steps[r.step]?.alarm === which);
  if (upserted('kept')) check('wrong', !present.has(kept), `alarm ${kept}`);
  if (ran('deleteAlarm')) check('leaked', present.has(dropped), `alarm ${dropped} deleted`);
  else if (upserted('dropped') && !posted('deleteAlarm')) check('wrong', !present.has(dropped), `alarm ${dropped}`);
  const unexplained = [...present].filter((a) => a !== kept && a !== dropped);
  check('leaked', unexplained.length > 0, `no other alarm of ${s.app} (got ${unexplained.join(', ')})`);
}

async function instances({ ran, posted, name, check, c, s, fixture }: Ctx): Promise<void> {
  const g = await describeGroup(c, name!);
  const inGroup = new Set((g?.Instances ?? []).map((i) => i.InstanceId!));
  const tg = (await c.elbv2.send(new DescribeTargetGroupsCommand({ Names: [s.targetGroup!] }))).TargetGroups?.[0]?.TargetGroupArn;
  const health = (await c.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
  const targets = new Set(health.filter((h) => h.TargetHealth?.State !== 'draining').map((h) => h.Target!.Id!));
  const deregistered = ran('deregisterInstances');
  const moved = movedInstance(deregistered?.facts);
  if (moved && ran('registerInstances')) check('wrong', !targets.has(moved), `${moved} registered again with ${s.targetGroup}`);
  else if (moved && !posted('registerInstances')) check('wrong', targets.has(moved), `${moved} deregistered from ${s.targetGroup}`);
  if (ran('updateInstances')) {
    const ids = [...inGroup];
    const described = ids.length
      ? ((await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? []).flatMap((r) => r.Instances ?? [])
      : [];
    const without = described.filter((i) => !(i.SecurityGroups ?? []).some((sg) => sg.GroupId === fixture?.instanceSecurityGroupId));
    check(
      'wrong',
      without.length > 0,
      `${name}: instances in ${fixture?.instanceSecurityGroupId} (not: ${without.map((i) => i.InstanceId).join(', ')})`,
    );
  }
  const detached = detachedInstance(ran('detachInstances')?.facts);
  if (detached) {
    check('wrong', inGroup.has(detached), `${detached} detached from ${name}`);
    const state = (await c.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [detached] }] })))
      .Reservations?.[0]?.Instances?.[0]?.State?.Name;
    check('leaked', state === 'running' || state === 'pending', `${detached} terminated (state ${state})`);
    check('wrong', g?.DesiredCapacity !== inGroup.size, `${name}: desired ${g?.DesiredCapacity} = ${inGroup.size} instances`);
  }
  // Every target is an instance of the group (a detached or terminated one left registered is left behind).
  const strays = [...targets].filter((t) => !inGroup.has(t));
  check('leaked', strays.length > 0, `${s.targetGroup}: only ${name}'s instances registered (also: ${strays.join(', ')})`);
}

async function cleanup({ ran, check, c, s, fixture }: Ctx): Promise<void> {
  if (!fixture) return;
  const fx = `fx-${s.app}`;
  if (ran('upsertImageTags')) {
    const image = (await c.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: [fixture.taggedImageId!] }] })))
      .Images?.[0];
    const tags = (image?.Tags ?? []).filter((t) => t.Key === END_STATE.imageTag);
    check('wrong', tags.length !== 1 || tags[0]!.Value !== s.app, `${fixture.taggedImageName}: tag ${END_STATE.imageTag}=${s.app} once`);
  }
  if (ran('deleteImage')) {
    const left =
      (await c.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: [fixture.oldImageId!] }] }))).Images ?? [];
    check('leaked', left.length > 0, `image ${fixture.oldImageId} deleted`);
  }
  if (ran('deleteSnapshot')) {
    const left =
      (await c.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [fixture.snapshotId!] }] }))).Snapshots ??
      [];
    check('leaked', left.length > 0, `snapshot ${fixture.snapshotId} deleted`);
  }
  if (ran('deleteLaunchConfiguration')) {
    const left =
      (await c.autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [fixture.launchConfigurationName!] })))
        .LaunchConfigurations ?? [];
    check('leaked', left.length > 0, `launch configuration ${fixture.launchConfigurationName} deleted`);
  }
  if (ran('deleteLaunchTemplate')) {
    const left =
      (await c.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [`${fx}-lt`] }] })))
        .LaunchTemplates ?? [];
    check('leaked', left.length > 0, `launch template ${fixture.launchTemplateId} deleted`);
  }
  if (ran('deleteSecurityGroup')) {
    const left =
      (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [fixture.securityGroupName!] }] })))
        .SecurityGroups ?? [];
    check('leaked', left.length > 0, `security group ${fixture.securityGroupName} deleted`);
  }
  if (ran('deleteLoadBalancer')) {
    const left = await notFoundAsEmpty(
      async () =>
        (await c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [fixture.loadBalancerName!] }))).LoadBalancerDescriptions,
    );
    check('leaked', left.length > 0, `load balancer ${fixture.loadBalancerName} deleted`);
  }
}

/** Every ingress rule of a group as comparable lines, `self` for rules naming the group itself. */
function ruleLines(permissions: readonly IpPermission[], selfId: string): string[] {
  const lines: string[] = [];
  for (const p of permissions) {
    const rule = (source: string, description: string | undefined) =>
      ruleLine({ protocol: p.IpProtocol ?? '', from: p.FromPort ?? -1, to: p.ToPort ?? -1, source, description });
    for (const r of p.IpRanges ?? []) lines.push(rule(r.CidrIp ?? '', r.Description));
    for (const r of p.Ipv6Ranges ?? []) lines.push(rule(r.CidrIpv6 ?? '', r.Description));
    for (const r of p.UserIdGroupPairs ?? []) lines.push(rule(r.GroupId === selfId ? 'self' : (r.GroupId ?? ''), r.Description));
    for (const r of p.PrefixListIds ?? []) lines.push(rule(r.PrefixListId ?? '', r.Description));
  }
  return lines.sort();
}

/**
 * The infrastructure scenario: the security group holds exactly the rules of the last upsert that
 * succeeded (when a later one was posted but did not succeed, either set is right); one load
 * balancer and one target group of each name, the target group's health check the last upsert's,
 * the listener on port 80 forwarding to it (once), and the listener rule the second upsert adds
 * (once); the classic load balancer with its listener.
 */
async function infrastructure({ ran, posted, check, c, s, fixture }: Ctx): Promise<void> {
  if (!fixture?.vpcId) return;
  const revisionOf = (revision: Revision) => (r: StepRecord) => s.steps[r.step]?.revision === revision;
  /** The revisions the upserts of `kind` may have left; undefined when none succeeded. */
  const expected = (kind: OpKind): Revision[] | undefined => {
    if (ran(kind, revisionOf(2))) return [2];
    if (!ran(kind, revisionOf(1))) return undefined;
    // A second upsert that went out and failed or was lost may or may not have acted.
    return posted(kind, revisionOf(2)) ? [1, 2] : [1];
  };

  const sgName = END_STATE.securityGroupName(s.app);
  const sgWanted = expected('upsertSecurityGroup');
  if (sgWanted) {
    const groups =
      (
        await c.ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'group-name', Values: [sgName] },
              { Name: 'vpc-id', Values: [fixture.vpcId] },
            ],
          }),
        )
      ).SecurityGroups ?? [];
    check('duplicated', groups.length > 1, `security group ${sgName}: one (got ${groups.length})`);
    const g = groups[0];
    check('wrong', !g, `security group ${sgName} exists`);
    if (g) {
      const got = ruleLines(g.IpPermissions ?? [], g.GroupId ?? '');
      const wants = sgWanted.map((rev) => securityGroupRules(rev).map(ruleLine).sort());
      const matches = wants.some((w) => JSON.stringify(w) === JSON.stringify(got));
      const extra = got.filter((l) => !wants.some((w) => w.includes(l)));
      const missing = wants[wants.length - 1]!.filter((l) => !got.includes(l));
      check('leaked', extra.length > 0, `security group ${sgName}: no rule beyond the last upsert's (also: ${extra.join('; ')})`);
      check(
        'wrong',
        !matches,
        `security group ${sgName}: exactly the last upsert's rules (got ${got.join('; ')}; missing ${missing.join('; ')})`,
      );
    }
  }

  const albName = END_STATE.albName(s.app);
  const tgName = END_STATE.albTargetGroupName(s.app);
  const albWanted = expected('upsertLoadBalancer');
  if (albWanted) {
    const lbs = await notFoundAsEmpty(
      async () => (await c.elbv2.send(new DescribeLoadBalancersV2Command({ Names: [albName] }))).LoadBalancers,
    );
    check('duplicated', lbs.length > 1, `load balancer ${albName}: one (got ${lbs.length})`);
    check('wrong', lbs.length === 0, `load balancer ${albName} exists`);
    const tgs = await notFoundAsEmpty(async () => (await c.elbv2.send(new DescribeTargetGroupsCommand({ Names: [tgName] }))).TargetGroups);
    check('duplicated', tgs.length > 1, `target group ${tgName}: one (got ${tgs.length})`);
    const tg = tgs[0];
    check('wrong', !tg, `target group ${tgName} exists`);
    if (tg) {
      const paths: string[] = albWanted.map((rev) => END_STATE.healthCheckPath(rev));
      check(
        'wrong',
        !paths.includes(tg.HealthCheckPath ?? ''),
        `target group ${tgName}: health check ${paths.join(' or ')} (got ${tg.HealthCheckPath})`,
      );
    }
    const lb = lbs[0];
    if (lb?.LoadBalancerArn) {
      const listeners = (await c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
      const on80 = listeners.filter((l) => l.Port === 80);
      check(
        'duplicated',
        on80.length > 1 || listeners.length > 1,
        `${albName}: one listener (got ports ${listeners.map((l) => l.Port).join(', ')})`,
      );
      const listener = on80[0];
      check('wrong', !listener, `${albName}: a listener on port 80`);
      if (listener?.ListenerArn) {
        const forwardsTo = (listener.DefaultActions ?? []).map((a) => a.TargetGroupArn);
        check('wrong', !tg || !forwardsTo.includes(tg.TargetGroupArn), `${albName}: port 80 forwards to ${tgName}`);
        const rules = ((await c.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? []).filter(
          (r) => !r.IsDefault,
        );
        const withPath = rules.filter((r) =>
          (r.Conditions ?? []).some((cd) => (cd.Values ?? cd.PathPatternConfig?.Values ?? []).includes(END_STATE.albRulePath)),
        );
        check('duplicated', rules.length > 1, `${albName}: at most one listener rule (got ${rules.length})`);
        if (!albWanted.includes(1)) check('wrong', withPath.length !== 1, `${albName}: listener rule ${END_STATE.albRulePath}`);
        else if (!albWanted.includes(2)) check('leaked', rules.length > 0, `${albName}: no listener rule before the second upsert`);
      }
    }
  }

  const classicName = END_STATE.classicName(s.app);
  if (ran('upsertClassicLoadBalancer')) {
    const lbs = await notFoundAsEmpty(
      async () => (await c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [classicName] }))).LoadBalancerDescriptions,
    );
    check('wrong', lbs.length !== 1, `classic load balancer ${classicName}: one (got ${lbs.length})`);
    const listeners = (lbs[0]?.ListenerDescriptions ?? []).map((l) => l.Listener);
    check(
      'wrong',
      !listeners.some((l) => l?.LoadBalancerPort === 80 && l.InstancePort === 7001),
      `classic load balancer ${classicName}: listener 80 -> 7001 (got ${listeners.map((l) => `${l?.LoadBalancerPort} -> ${l?.InstancePort}`).join(', ')})`,
    );
    check('duplicated', listeners.length > 1, `classic load balancer ${classicName}: one listener (got ${listeners.length})`);
  }
}

const NOT_FOUND = new Set([
  'LoadBalancerNotFoundException',
  'TargetGroupNotFoundException',
  'AccessPointNotFoundException',
  'LoadBalancerNotFound',
]);

/** A describe by name that answers not-found for none, as both load balancer APIs do. */
async function notFoundAsEmpty<T>(read: () => Promise<readonly T[] | undefined>): Promise<readonly T[]> {
  try {
    return (await read()) ?? [];
  } catch (err) {
    if (NOT_FOUND.has((err as Error).name)) return [];
    throw err;
  }
}
