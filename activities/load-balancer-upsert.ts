/**
 * upsertLoadBalancer: Clouddriver's UpsertAmazonLoadBalancerAtomicOperation with
 * LoadBalancerUpsertHandler (classic) and UpsertAmazonLoadBalancerV2AtomicOperation with
 * LoadBalancerV2UpsertHandler (application and network). Each update reads the load balancer
 * afresh and applies only what differs from the description, so an attempt repeated after a lost
 * answer or a crash half-way converges on the same end. What this task creates carries the
 * `bosun:created-by-task` tag: a retried create adopts it, and compensation deletes only it.
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type {
  Listener as ClassicAwsListener,
  ListenerDescription as ClassicListenerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  ApplySecurityGroupsToLoadBalancerCommand,
  ConfigureHealthCheckCommand,
  CreateLoadBalancerCommand as CreateClassicLoadBalancerCommand,
  CreateLoadBalancerListenersCommand,
  DeleteLoadBalancerCommand as DeleteClassicLoadBalancerCommand,
  DeleteLoadBalancerListenersCommand,
  DescribeLoadBalancerAttributesCommand as DescribeClassicAttributesCommand,
  DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand,
  DescribeTagsCommand as DescribeClassicTagsCommand,
  ModifyLoadBalancerAttributesCommand as ModifyClassicAttributesCommand,
  SetLoadBalancerPoliciesOfListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import type {
  Action,
  Listener,
  LoadBalancer,
  LoadBalancerAttribute,
  Rule,
  RuleCondition,
  TargetGroup,
  TargetGroupAttribute,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  SetIpAddressTypeCommand,
  SetSecurityGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type {
  ClassicListener,
  ListenerDescription,
  LoadBalancerAction,
  TargetGroupDescription,
  UpsertClassicLoadBalancer,
  UpsertLoadBalancer,
  UpsertLoadBalancerV2,
} from '../domain/operations/schemas/upsert-load-balancer';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClients, RegionalRef } from './aws-clients';
import { awsCall, awsDelete, awsDescribe, classifyAwsError, isAwsNotFound } from './aws-errors';
import { tagOf } from './deploy-ownership';
import type { ActivityDeps } from './deps';
import { allPages } from './paging';

/** What an update did (Clouddriver's status lines) and what AWS refused on the way. */
export interface UpsertReport {
  readonly lines: readonly string[];
  /** Clouddriver's `amazonErrors`: the task fails with "Failed to apply all load balancer updates". */
  readonly errors: readonly string[];
}

export type FoundLoadBalancer =
  | { readonly found: false }
  | { readonly found: true; readonly loadBalancerArn: string; readonly dnsName: string; readonly createdBy?: string | undefined };

function isRetryable(err: unknown): boolean {
  const failure = err as { nonRetryable?: unknown };
  if (typeof failure.nonRetryable === 'boolean') return !failure.nonRetryable;
  return classifyAwsError(err).retryable;
}

/**
 * Clouddriver catches AWS's refusal of some calls, writes a line and goes on, then fails the task
 * at the end. Throttling and outages are retried here instead of being taken for a refusal (a
 * repeated attempt re-reads the load balancer and converges).
 */
async function refusalOf(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    if (isRetryable(err)) throw err;
    return err instanceof Error ? err.message : String(err);
  }
}

const V2_GONE = ['LoadBalancerNotFound', 'LoadBalancerNotFoundException'];
const codeOf = (err: unknown) => (err as { type?: unknown }).type ?? (err as { name?: unknown }).name;

/** A describe by name whose every AWS answer but a retryable one Clouddriver takes for "there is none". */
async function describeOrNone<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await awsCall(what, call);
  } catch (err) {
    if (isRetryable(err)) throw err;
    return undefined;
  }
}

async function describeV2ByName(c: AwsClients, name: string, region: string): Promise<LoadBalancer | undefined> {
  const out = await describeOrNone(`DescribeLoadBalancers ${name} in ${region}`, () =>
    c.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] })),
  );
  return out?.LoadBalancers?.[0];
}

async function v2TagsOf(c: AwsClients, arns: readonly string[]): Promise<Map<string, string | undefined>> {
  const tags = new Map<string, string | undefined>();
  for (let i = 0; i < arns.length; i += 20) {
    const batch = arns.slice(i, i + 20);
    const out = await awsCall(`DescribeTags of ${batch.length} load balancing resources`, () =>
      c.elbv2.send(new DescribeTagsCommand({ ResourceArns: batch })),
    );
    for (const d of out.TagDescriptions ?? []) if (d.ResourceArn) tags.set(d.ResourceArn, tagOf(d.Tags, CREATED_BY_TAG));
  }
  return tags;
}

async function targetGroupByName(c: AwsClients, name: string, region: string): Promise<TargetGroup | undefined> {
  const out = await awsDescribe(
    `DescribeTargetGroups ${name} in ${region}`,
    () => c.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })),
    'targetGroup',
  );
  return out?.TargetGroups?.[0];
}

// ---------------------------------------------------------------------------------------------
// Application and network load balancers (LoadBalancerV2UpsertHandler)

/** A rule as Bosun builds it from the description, to create or to compare with AWS's. */
interface WantedRule {
  readonly priority: number;
  readonly actions: Action[];
  readonly conditions: RuleCondition[];
}

/** Clouddriver's getAmazonActionsFromDescription: forward needs the target group's ARN. */
function awsActionsOf(
  actions: readonly LoadBalancerAction[],
  targetGroups: readonly TargetGroup[],
  errors: string[],
  lines: string[],
): Action[] {
  const out: Action[] = [];
  actions.forEach((a, index) => {
    if (a.type === 'forward') {
      const tg = targetGroups.find((t) => t.TargetGroupName === a.targetGroupName);
      if (tg?.TargetGroupArn) out.push({ Type: 'forward', TargetGroupArn: tg.TargetGroupArn, Order: index + 1 });
      else {
        const message = `Target group name ${a.targetGroupName} not found when trying to create action`;
        lines.push(message);
        errors.push(message);
      }
    } else if (a.type === 'authenticate-oidc') {
      out.push({ Type: a.type, AuthenticateOidcConfig: defined(a.oidc) as Action['AuthenticateOidcConfig'], Order: index + 1 });
    } else if (a.type === 'redirect') {
      out.push({ Type: a.type, RedirectConfig: defined(a.redirect) as Action['RedirectConfig'], Order: index + 1 });
    }
    // Clouddriver builds no action of any other type.
  });
  return out;
}

function defined(o: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (!o) return undefined;
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Clouddriver sends `http-request-method` in its own config; any other field with `Values`. */
function awsConditionOf(c: { readonly field: string; readonly values: readonly string[] }): RuleCondition {
  return c.field === 'http-request-method'
    ? { Field: c.field, HttpRequestMethodConfig: { Values: [...c.values] } }
    : { Field: c.field, Values: [...c.values] };
}

/** The values of a condition however AWS answers it (`Values`, or the field's own config). */
function conditionValues(c: RuleCondition): string[] {
  const configs = [
    c.Values,
    c.HostHeaderConfig?.Values,
    c.PathPatternConfig?.Values,
    c.HttpRequestMethodConfig?.Values,
    c.SourceIpConfig?.Values,
    c.HttpHeaderConfig?.Values,
  ];
  const found = configs.find((v) => v !== undefined && v.length > 0);
  return [...(found ?? [])].sort();
}

/** One action as a comparable string: AWS answers forwards with a ForwardConfig as well. */
function actionKey(a: Action): string {
  const target =
    a.TargetGroupArn ?? (a.ForwardConfig?.TargetGroups?.length === 1 ? a.ForwardConfig.TargetGroups[0]?.TargetGroupArn : undefined);
  const config = (o: object | undefined) =>
    JSON.stringify(
      Object.entries(o ?? {})
        .filter(
          ([, v]) =>
            v !== undefined &&
            v !== '' &&
            v !== '#{host}' &&
            v !== '/#{path}' &&
            v !== '#{query}' &&
            v !== '#{port}' &&
            v !== '#{protocol}',
        )
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return [
    a.Type,
    target ?? '',
    a.Order ?? '',
    config(a.RedirectConfig),
    config(a.AuthenticateOidcConfig && { ...a.AuthenticateOidcConfig, ClientSecret: undefined }),
  ].join('|');
}

function ruleKey(r: { priority: string | number | undefined; actions: readonly Action[]; conditions: readonly RuleCondition[] }): string {
  const actions = r.actions.map(actionKey).sort();
  const conditions = r.conditions.map((c) => `${c.Field}=${conditionValues(c).join(',')}`).sort();
  return JSON.stringify([String(r.priority), actions, conditions]);
}

/**
 * Clouddriver's containsAllRules both ways: the same actions, conditions and priority. AWS adds
 * defaults to what it answers (a ForwardConfig beside TargetGroupArn, a condition's own config
 * beside Values), so they are compared by what they mean.
 */
function sameRules(existing: readonly Rule[], wanted: readonly WantedRule[]): boolean {
  if (existing.length !== wanted.length) return false;
  const a = existing.map((r) => ruleKey({ priority: r.Priority, actions: r.Actions ?? [], conditions: r.Conditions ?? [] })).sort();
  const b = wanted.map((r) => ruleKey(r)).sort();
  return a.every((k, i) => k === b[i]);
}

const hasHttpHealthCheck = (tg: TargetGroupDescription) => tg.healthCheckProtocol === 'HTTP' || tg.healthCheckProtocol === 'HTTPS';

/** Clouddriver's createTargetGroupAttributes: the description's values, Clouddriver's defaults for the rest. */
function attributesForNewTargetGroup(tg: TargetGroupDescription, lbType: string | undefined): TargetGroupAttribute[] {
  const a = tg.attributes;
  if (!a) return [];
  const out: TargetGroupAttribute[] = [];
  if (tg.targetType.toLowerCase() === 'lambda') {
    out.push({ Key: 'lambda.multi_value_headers.enabled', Value: String(a.multiValueHeadersEnabled ?? false) });
  } else {
    out.push({ Key: 'deregistration_delay.timeout_seconds', Value: String(a.deregistrationDelay ?? 300) });
  }
  if (lbType === 'application') {
    out.push({ Key: 'stickiness.enabled', Value: String(a.stickinessEnabled ?? false) });
    out.push({ Key: 'stickiness.type', Value: a.stickinessType || 'lb_cookie' });
    out.push({ Key: 'stickiness.lb_cookie.duration_seconds', Value: String(a.stickinessDuration || 86400) });
  }
  if (lbType === 'network') {
    out.push({ Key: 'proxy_protocol_v2.enabled', Value: String(a.proxyProtocolV2 ?? false) });
    out.push({
      Key: 'deregistration_delay.connection_termination.enabled',
      Value: String(a.deregistrationDelayConnectionTermination ?? false),
    });
  }
  return out;
}

/** Clouddriver's modifyTargetGroupAttributes: only what the description sets. */
function attributesForKeptTargetGroup(tg: TargetGroupDescription, lbType: string | undefined): TargetGroupAttribute[] {
  const a = tg.attributes;
  if (!a) return [];
  const out: TargetGroupAttribute[] = [];
  if (tg.targetType.toLowerCase() === 'lambda') {
    if (a.multiValueHeadersEnabled !== undefined)
      out.push({ Key: 'lambda.multi_value_headers.enabled', Value: String(a.multiValueHeadersEnabled) });
    return out;
  }
  if (a.deregistrationDelay !== undefined) out.push({ Key: 'deregistration_delay.timeout_seconds', Value: String(a.deregistrationDelay) });
  if (lbType === 'application') {
    if (a.stickinessEnabled !== undefined) out.push({ Key: 'stickiness.enabled', Value: String(a.stickinessEnabled) });
    if (a.stickinessType !== undefined) out.push({ Key: 'stickiness.type', Value: a.stickinessType });
    if (a.stickinessDuration !== undefined) out.push({ Key: 'stickiness.lb_cookie.duration_seconds', Value: String(a.stickinessDuration) });
  }
  if (lbType === 'network') {
    if (a.proxyProtocolV2 !== undefined) out.push({ Key: 'proxy_protocol_v2.enabled', Value: String(a.proxyProtocolV2) });
    if (a.deregistrationDelayConnectionTermination !== undefined) {
      out.push({ Key: 'deregistration_delay.connection_termination.enabled', Value: String(a.deregistrationDelayConnectionTermination) });
    }
  }
  return out;
}

/** The health-check settings CreateTargetGroup and ModifyTargetGroup share (LoadBalancerV2UpsertHandler). */
function healthCheckOf(tg: TargetGroupDescription) {
  const settings: {
    HealthCheckIntervalSeconds: number;
    HealthCheckPort?: string | undefined;
    HealthCheckProtocol?: TargetGroup['HealthCheckProtocol'];
    HealthyThresholdCount: number;
    UnhealthyThresholdCount: number;
    HealthCheckPath?: string | undefined;
    Matcher?: { HttpCode: string };
    HealthCheckTimeoutSeconds?: number;
  } = {
    HealthCheckIntervalSeconds: tg.healthCheckInterval,
    HealthCheckPort: tg.healthCheckPort,
    HealthCheckProtocol: tg.healthCheckProtocol as TargetGroup['HealthCheckProtocol'],
    HealthyThresholdCount: tg.healthyThreshold,
    UnhealthyThresholdCount: tg.unhealthyThreshold,
  };
  if (hasHttpHealthCheck(tg)) {
    settings.HealthCheckPath = tg.healthCheckPath;
    // "HTTP(s) health checks for TCP does not support custom matchers and timeouts. Also, health thresholds must be equal."
    if (tg.protocol === 'TCP') settings.UnhealthyThresholdCount = settings.HealthyThresholdCount;
    else {
      settings.Matcher = { HttpCode: tg.healthCheckMatcher };
      settings.HealthCheckTimeoutSeconds = tg.healthCheckTimeout;
    }
  }
  return settings;
}

/** The description's settings of the load balancer, and the one to apply them to. */
export interface UpdateLoadBalancerV2Input
  extends
    RegionalRef,
    Pick<
      UpsertLoadBalancerV2,
      'targetGroups' | 'listeners' | 'idleTimeout' | 'deletionProtection' | 'loadBalancingCrossZone' | 'ipAddressType'
    > {
  readonly loadBalancerArn: string;
  readonly securityGroupIds: readonly string[];
  /** The tag value of what this task creates. */
  readonly createdBy: string;
}

// ---------------------------------------------------------------------------------------------
// Classic load balancers (LoadBalancerUpsertHandler)

const toAwsClassicListener = (l: ClassicListener): ClassicAwsListener => ({
  Protocol: l.protocol,
  LoadBalancerPort: l.loadBalancerPort,
  InstanceProtocol: l.instanceProtocol,
  InstancePort: l.instancePort,
  SSLCertificateId: l.sslCertificateId,
});

/** SDK v1 Listener.equals: protocol, both ports, instance protocol and certificate. */
const sameClassicListener = (a: ClassicAwsListener, b: ClassicAwsListener) =>
  a.Protocol?.toUpperCase() === b.Protocol?.toUpperCase() &&
  a.LoadBalancerPort === b.LoadBalancerPort &&
  a.InstanceProtocol?.toUpperCase() === b.InstanceProtocol?.toUpperCase() &&
  a.InstancePort === b.InstancePort &&
  (a.SSLCertificateId ?? undefined) === (b.SSLCertificateId ?? undefined);

/** "ignore the old listener :0 => :0, which AWS adds to ELBs created sometime before 2012-09-26" */
const notLegacyListener = (l: ClassicAwsListener) => l.InstancePort !== 0 && l.LoadBalancerPort !== 0 && !!l.Protocol;

async function describeClassic(c: AwsClients, name: string, region: string) {
  const out = await describeOrNone(`DescribeLoadBalancers ${name} in ${region}`, () =>
    c.elb.send(new DescribeClassicLoadBalancersCommand({ LoadBalancerNames: [name] })),
  );
  return out?.LoadBalancerDescriptions?.[0];
}

async function classicCreatedBy(c: AwsClients, name: string, region: string): Promise<string | undefined> {
  const out = await awsCall(`DescribeTags of ${name} in ${region}`, () =>
    c.elb.send(new DescribeClassicTagsCommand({ LoadBalancerNames: [name] })),
  );
  return tagOf(out.TagDescriptions?.[0]?.Tags, CREATED_BY_TAG);
}

export function createLoadBalancerUpsertActivities({ aws }: ActivityDeps) {
  return {
    /**
     * Security groups by name in `vpcId` (SecurityGroupService.getSecurityGroupIds: any name not
     * found there fails the operation), and with a `subnetType` the subnets of that purpose for
     * load balancers in the zones, one a zone, the one with the most free addresses
     * (SubnetAnalyzer.getSubnetIdsForZones with SubnetTarget.ELB). Purposes are read from the
     * subnets' `immutable_metadata` tag, as the deploy reads them.
     */
    async resolveLoadBalancerNetwork(
      input: RegionalRef & Pick<UpsertLoadBalancer, 'securityGroups' | 'vpcId' | 'subnetType'> & { readonly zones: readonly string[] },
    ): Promise<{ securityGroupIds: string[]; subnetIds: string[] }> {
      const c = aws.clientsFor(input.account, input.region);
      const securityGroupIds: string[] = [];
      if (input.securityGroups.length > 0) {
        const out = await awsCall(`DescribeSecurityGroups in ${input.region}`, () =>
          c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [...input.securityGroups] }] })),
        );
        const inVpc = (out.SecurityGroups ?? []).filter((g) => (g.VpcId ?? undefined) === input.vpcId);
        const missing: string[] = [];
        for (const name of input.securityGroups) {
          const id = inVpc.find((g) => g.GroupName === name)?.GroupId;
          if (id) securityGroupIds.push(id);
          else missing.push(name);
        }
        if (missing.length > 0) {
          throw ApplicationFailure.nonRetryable(`Missing security groups: ${missing.join(',')}`, FailureType.SecurityGroupNotFound, {
            missing,
          });
        }
      }
      const subnetIds: string[] = [];
      if (input.subnetType && input.zones.length > 0) {
        const subnets = await allPages(async (token) => {
          const out = await awsCall(`DescribeSubnets in ${input.region}`, () =>
            c.ec2.send(new DescribeSubnetsCommand({ NextToken: token })),
          );
          return { items: out.Subnets ?? [], next: out.NextToken };
        });
        const meta = (s: (typeof subnets)[number]): { purpose?: unknown; target?: unknown } => {
          try {
            return JSON.parse(tagOf(s.Tags, 'immutable_metadata') ?? '{}') as { purpose?: unknown; target?: unknown };
          } catch {
            return {};
          }
        };
        for (const zone of input.zones) {
          const best = subnets
            .filter((s) => s.AvailabilityZone === zone && s.SubnetId)
            .filter((s) => {
              const m = meta(s);
              return m.purpose === input.subnetType && (m.target === undefined || m.target === null || m.target === 'elb');
            })
            .sort((a, b) => (b.AvailableIpAddressCount ?? 0) - (a.AvailableIpAddressCount ?? 0))[0];
          if (best?.SubnetId) subnetIds.push(best.SubnetId);
        }
      }
      return { securityGroupIds, subnetIds };
    },

    /** The load balancer by name: Clouddriver takes any AWS answer but success for "there is none". */
    async describeLoadBalancerV2ForUpsert(input: RegionalRef & { readonly name: string }): Promise<FoundLoadBalancer> {
      const c = aws.clientsFor(input.account, input.region);
      const lb = await describeV2ByName(c, input.name, input.region);
      if (!lb?.LoadBalancerArn) return { found: false };
      const tags = await v2TagsOf(c, [lb.LoadBalancerArn]);
      return { found: true, loadBalancerArn: lb.LoadBalancerArn, dnsName: lb.DNSName ?? '', createdBy: tags.get(lb.LoadBalancerArn) };
    },

    /**
     * LoadBalancerV2UpsertHandler.createLoadBalancer's CreateLoadBalancer, tagged with this task.
     * A load balancer of the name found first is adopted (a repeated attempt finds its own; AWS
     * itself answers a same-named create with the existing one).
     */
    async createLoadBalancerV2(
      input: RegionalRef &
        Pick<UpsertLoadBalancerV2, 'name' | 'type' | 'isInternal' | 'ipAddressType'> & {
          readonly subnetIds: readonly string[];
          readonly securityGroupIds: readonly string[];
          readonly createdBy: string;
        },
    ): Promise<{ loadBalancerArn: string; dnsName: string; created: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const existing = await describeV2ByName(c, input.name, input.region);
      if (existing?.LoadBalancerArn) {
        const tags = await v2TagsOf(c, [existing.LoadBalancerArn]);
        return {
          loadBalancerArn: existing.LoadBalancerArn,
          dnsName: existing.DNSName ?? '',
          created: tags.get(existing.LoadBalancerArn) === input.createdBy,
        };
      }
      const withSubnets = input.subnetIds.length > 0;
      const out = await awsCall(`CreateLoadBalancer ${input.name} in ${input.region}`, () =>
        c.elbv2.send(
          new CreateLoadBalancerCommand({
            Name: input.name,
            Type: input.type,
            IpAddressType: (input.isInternal ? 'ipv4' : input.ipAddressType) as LoadBalancer['IpAddressType'],
            Subnets: withSubnets ? [...input.subnetIds] : undefined,
            Scheme: withSubnets && input.isInternal ? 'internal' : undefined,
            SecurityGroups: withSubnets && input.type === 'application' ? [...input.securityGroupIds] : undefined,
            Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
          }),
        ),
      );
      const lb = out.LoadBalancers?.[0];
      if (!lb?.LoadBalancerArn) {
        throw ApplicationFailure.retryable(
          `CreateLoadBalancer ${input.name} answered without the load balancer`,
          FailureType.IncompleteAnswer,
        );
      }
      return { loadBalancerArn: lb.LoadBalancerArn, dnsName: lb.DNSName ?? '', created: true };
    },

    /**
     * LoadBalancerV2UpsertHandler.updateLoadBalancer: security groups, IP address type and
     * attributes; target groups removed (no longer described, or their port or protocol changed),
     * created and updated; listeners created, updated (their rules replaced when any differs) and
     * removed. Every decision is taken from what AWS holds now, so a repeated attempt applies only
     * what is still missing.
     */
    async updateLoadBalancerV2(input: UpdateLoadBalancerV2Input): Promise<UpsertReport> {
      const c = aws.clientsFor(input.account, input.region);
      const lines: string[] = [];
      const errors: string[] = [];
      const fail = (message: string) => {
        lines.push(message);
        errors.push(message);
      };
      const lbOut = await awsCall(`DescribeLoadBalancers ${input.loadBalancerArn}`, () =>
        c.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [input.loadBalancerArn] })),
      );
      const lb = lbOut.LoadBalancers?.[0];
      if (!lb) {
        throw ApplicationFailure.nonRetryable(`load balancer ${input.loadBalancerArn} is gone`, FailureType.LoadBalancerNotFound);
      }
      const name = lb.LoadBalancerName ?? '';
      const arn = input.loadBalancerArn;

      if (lb.Type === 'application') {
        if (lb.VpcId && input.securityGroupIds.length === 0) {
          throw ApplicationFailure.nonRetryable(
            `Load balancer ${name} must have at least one security group`,
            FailureType.InvalidDescription,
          );
        }
        if (input.securityGroupIds.length > 0) {
          await awsCall(`SetSecurityGroups of ${name}`, () =>
            c.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [...input.securityGroupIds] })),
          );
          lines.push(`Security groups updated on ${name}.`);
        }
      }

      if (input.ipAddressType && input.ipAddressType !== lb.IpAddressType && (lb.Type === 'application' || lb.Type === 'network')) {
        const wanted = lb.Scheme === 'internal' ? 'ipv4' : input.ipAddressType;
        await awsCall(`SetIpAddressType of ${name}`, () =>
          c.elbv2.send(new SetIpAddressTypeCommand({ LoadBalancerArn: arn, IpAddressType: wanted as LoadBalancer['IpAddressType'] })),
        );
        lines.push(`IP Address type updated ${name}.`);
      }

      const current = await awsCall(`DescribeLoadBalancerAttributes of ${name}`, () =>
        c.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn })),
      );
      const currentValue = (key: string) => current.Attributes?.find((a) => a.Key === key)?.Value;
      const attributes: LoadBalancerAttribute[] = [];
      if (lb.Type === 'application') {
        const idle = String(input.idleTimeout);
        if (currentValue('idle_timeout.timeout_seconds') !== idle) {
          lines.push(`Setting idle timeout on ${name} to ${idle}.`);
          attributes.push({ Key: 'idle_timeout.timeout_seconds', Value: idle });
        }
      }
      const protection = String(input.deletionProtection);
      if (currentValue('deletion_protection.enabled') !== protection) {
        lines.push(`Setting deletion protection on ${name} to ${protection}.`);
        attributes.push({ Key: 'deletion_protection.enabled', Value: protection });
      }
      if (lb.Type === 'network' && input.loadBalancingCrossZone !== undefined) {
        const crossZone = String(input.loadBalancingCrossZone);
        if (currentValue('load_balancing.cross_zone.enabled') !== crossZone) {
          lines.push(`Setting Cross-Zone Load Balancing on ${name} to ${crossZone}.`);
          attributes.push({ Key: 'load_balancing.cross_zone.enabled', Value: crossZone });
        }
      }
      if (attributes.length > 0) {
        await awsCall(`ModifyLoadBalancerAttributes of ${name}`, () =>
          c.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: attributes })),
        );
      }

      let existingTargetGroups = await allPages(async (marker) => {
        // moto answers TargetGroupNotFound for a load balancer without target groups (AWS: an empty list).
        const out = await awsDescribe(
          `DescribeTargetGroups of ${name}`,
          () => c.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: arn, Marker: marker })),
          'targetGroup',
        );
        return { items: out?.TargetGroups ?? [], next: out?.NextMarker };
      });
      let existingListeners = await allPages(async (marker) => {
        const out = await awsCall(`DescribeListeners of ${name}`, () =>
          c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn, Marker: marker })),
        );
        return { items: out.Listeners ?? [], next: out.NextMarker };
      });
      const rulesOf = new Map<string, Rule[]>();
      for (const l of existingListeners) {
        const rules = await allPages(async (marker) => {
          const out = await awsCall(`DescribeRules of ${l.ListenerArn}`, () =>
            c.elbv2.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn, Marker: marker })),
          );
          return { items: out.Rules ?? [], next: out.NextMarker };
        });
        rulesOf.set(l.ListenerArn!, rules);
      }

      // "Can't modify the port or protocol of a target group, so if changed, have to delete/recreate"
      const described = (t: TargetGroup) =>
        input.targetGroups.find((d) => d.name === t.TargetGroupName && d.port === t.Port && d.protocol === t.Protocol);
      const toRemove = existingTargetGroups.filter((t) => !described(t));
      const toUpdate = existingTargetGroups.filter((t) => described(t));
      const removedArns = new Set(toRemove.map((t) => t.TargetGroupArn));
      const toCreate = input.targetGroups.filter(
        (d) => !existingTargetGroups.some((t) => d.name === t.TargetGroupName && d.port === t.Port && d.protocol === t.Protocol),
      );

      const removeListeners = async (listeners: readonly Listener[]) => {
        for (const l of listeners) {
          try {
            await awsCall(`DeleteListener ${l.ListenerArn}`, () => c.elbv2.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn })));
            lines.push(`Listener removed from ${name} (${l.Port}:${l.Protocol}).`);
          } catch (err) {
            if (codeOf(err) !== 'ListenerNotFound' && codeOf(err) !== 'ListenerNotFoundException') throw err;
            lines.push(`Failed to delete listener ${l.ListenerArn}. Listener could not be found. ${(err as Error).message}`);
          }
          existingListeners = existingListeners.filter((e) => e.ListenerArn !== l.ListenerArn);
        }
      };

      // Listeners any of whose rules forward to a target group about to be removed go first.
      await removeListeners(
        existingListeners.filter((l) =>
          (rulesOf.get(l.ListenerArn!) ?? []).some((r) =>
            (r.Actions ?? []).some((a) => a.TargetGroupArn && removedArns.has(a.TargetGroupArn)),
          ),
        ),
      );

      for (const t of toRemove) {
        const refused = await refusalOf(() =>
          awsDelete(
            `DeleteTargetGroup ${t.TargetGroupName}`,
            () => c.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: t.TargetGroupArn })),
            (err) => isAwsNotFound(err, 'targetGroup'),
          ),
        );
        if (refused === undefined) {
          lines.push(`Target group removed from ${name} (${t.TargetGroupName}:${t.Port}:${t.Protocol}).`);
          existingTargetGroups = existingTargetGroups.filter((e) => e.TargetGroupArn !== t.TargetGroupArn);
        } else {
          fail(`Failed to delete target group ${t.TargetGroupName} from ${name} - reason: ${refused}.`);
        }
      }

      for (const d of toCreate) {
        const lambda = d.targetType.toLowerCase() === 'lambda';
        let created: TargetGroup | undefined;
        // A target group this task made on an earlier attempt, not yet behind a listener.
        const mine = await targetGroupByName(c, d.name, input.region);
        if (mine?.TargetGroupArn && (await v2TagsOf(c, [mine.TargetGroupArn])).get(mine.TargetGroupArn) === input.createdBy) created = mine;
        if (!created) {
          const refused = await refusalOf(async () => {
            const out = await awsCall(`CreateTargetGroup ${d.name} in ${input.region}`, () =>
              c.elbv2.send(
                new CreateTargetGroupCommand(
                  lambda
                    ? {
                        Name: d.name,
                        HealthCheckIntervalSeconds: d.healthCheckInterval,
                        HealthCheckTimeoutSeconds: d.healthCheckTimeout,
                        HealthyThresholdCount: d.healthyThreshold,
                        UnhealthyThresholdCount: d.unhealthyThreshold,
                        TargetType: 'lambda',
                        Matcher: { HttpCode: d.healthCheckMatcher },
                        HealthCheckPath: d.healthCheckPath,
                        Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
                      }
                    : {
                        Name: d.name,
                        Protocol: d.protocol as TargetGroup['Protocol'],
                        Port: d.port,
                        VpcId: lb.VpcId,
                        TargetType: d.targetType as TargetGroup['TargetType'],
                        ...healthCheckOf(d),
                        Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
                      },
                ),
              ),
            );
            created = out.TargetGroups?.[0];
          });
          if (refused !== undefined) {
            fail(`Failed to create target group ${d.name} for ${name} - reason: ${refused}.`);
            continue;
          }
        }
        if (!created) continue;
        lines.push(
          lambda
            ? `Lambda Target group created in ${name} (${d.name}).`
            : `Target group created in ${name} (${d.name}:${d.port}:${d.protocol}).`,
        );
        existingTargetGroups = [...existingTargetGroups, created];
        const tgAttributes = attributesForNewTargetGroup(d, lb.Type);
        if (tgAttributes.length > 0) await modifyTargetGroupAttributes(created, tgAttributes);
      }

      async function modifyTargetGroupAttributes(t: TargetGroup, tgAttributes: TargetGroupAttribute[]) {
        const refused = await refusalOf(() =>
          awsCall(`ModifyTargetGroupAttributes ${t.TargetGroupName}`, () =>
            c.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: t.TargetGroupArn, Attributes: tgAttributes })),
          ),
        );
        if (refused === undefined) lines.push(`Modified target group ${t.TargetGroupName} attributes.`);
        else fail(`Failed to modify attributes for target group ${t.TargetGroupName} - reason: ${refused}.`);
      }

      for (const t of toUpdate) {
        const d = input.targetGroups.find((x) => x.name === t.TargetGroupName)!;
        await awsCall(`ModifyTargetGroup ${t.TargetGroupName}`, () =>
          c.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: t.TargetGroupArn, ...healthCheckOf(d) })),
        );
        lines.push(`Target group updated in ${name} (${t.TargetGroupName}:${t.Port}:${t.Protocol}).`);
        const tgAttributes = attributesForKeptTargetGroup(d, lb.Type);
        if (tgAttributes.length > 0) await modifyTargetGroupAttributes(t, tgAttributes);
      }

      const wanted = input.listeners.map((l) => ({
        listener: l,
        defaultActions: awsActionsOf(l.defaultActions, existingTargetGroups, errors, lines),
        rules: l.rules.map((r): WantedRule => ({
          priority: r.priority,
          actions: awsActionsOf(r.actions, existingTargetGroups, errors, lines),
          conditions: r.conditions.map(awsConditionOf),
        })),
      }));
      const listenersToRemove = existingListeners.filter((e) => !input.listeners.some((l) => l.port === e.Port));
      const certificates = (l: ListenerDescription) => l.certificateArns?.map((CertificateArn) => ({ CertificateArn }));

      for (const w of wanted) {
        const l = w.listener;
        const existing = existingListeners.find((e) => e.Port === l.port);
        if (!existing) {
          let listenerArn: string | undefined;
          const refused = await refusalOf(async () => {
            const out = await awsCall(`CreateListener ${l.port} on ${name}`, () =>
              c.elbv2.send(
                new CreateListenerCommand({
                  LoadBalancerArn: arn,
                  Port: l.port,
                  Protocol: l.protocol as Listener['Protocol'],
                  Certificates: certificates(l),
                  SslPolicy: l.sslPolicy,
                  DefaultActions: w.defaultActions,
                  Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
                }),
              ),
            );
            listenerArn = out.Listeners?.[0]?.ListenerArn;
          });
          if (refused !== undefined) {
            fail(`Failed to add listener to ${name} (${l.port}:${l.protocol}) - reason: ${refused}.`);
            continue;
          }
          lines.push(`Listener added to ${name} (${l.port}:${l.protocol}).`);
          if (!listenerArn) continue;
          const newArn = listenerArn;
          for (const r of w.rules) {
            const ruleRefused = await refusalOf(() => createRule(newArn, r));
            if (ruleRefused !== undefined) {
              fail(`Failed to add rule to listener ${name} (${l.port}:${l.protocol}) reason: ${ruleRefused}.`);
              break;
            }
          }
          continue;
        }
        const listenerArn = existing.ListenerArn!;
        const modifyRefused = await refusalOf(() =>
          awsCall(`ModifyListener ${listenerArn}`, () =>
            c.elbv2.send(
              new ModifyListenerCommand({
                ListenerArn: listenerArn,
                Protocol: l.protocol as Listener['Protocol'],
                Certificates: certificates(l),
                SslPolicy: l.sslPolicy,
                DefaultActions: w.defaultActions,
              }),
            ),
          ),
        );
        if (modifyRefused === undefined) lines.push(`Listener ${listenerArn} updated (${l.port}:${l.protocol}).`);
        else fail(`Failed to modify listener ${listenerArn} (${l.port}:${l.protocol}) - reason: ${modifyRefused}.`);
        // "Compare the old rules; if any are different, just replace them all."
        const existingRules = (rulesOf.get(listenerArn) ?? []).filter((r) => !r.IsDefault);
        if (!sameRules(existingRules, w.rules)) {
          for (const r of existingRules) {
            // Clouddriver ignores a failed rule delete: "it could not be found".
            await refusalOf(() => awsCall(`DeleteRule ${r.RuleArn}`, () => c.elbv2.send(new DeleteRuleCommand({ RuleArn: r.RuleArn }))));
          }
          for (const r of w.rules) {
            const ruleRefused = await refusalOf(() => createRule(listenerArn, r));
            if (ruleRefused !== undefined)
              fail(`Failed to add rule to listener ${listenerArn} (${l.port}:${l.protocol}) reason: ${ruleRefused}.`);
          }
        }
      }

      async function createRule(listenerArn: string, r: WantedRule) {
        await awsCall(`CreateRule ${r.priority} on ${listenerArn}`, () =>
          c.elbv2.send(
            new CreateRuleCommand({
              ListenerArn: listenerArn,
              Priority: r.priority,
              Conditions: r.conditions,
              Actions: r.actions,
              Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
            }),
          ),
        );
      }

      // Listeners no longer described go only when everything else was applied.
      if (errors.length === 0) await removeListeners(listenersToRemove);
      return { lines, errors };
    },

    /**
     * Compensation: what this task created in the region, and nothing else. The load balancer if
     * it carries this task's tag (its listeners and rules go with it); on a load balancer that
     * existed before, the listeners and rules this task added; then the described target groups
     * that carry the tag.
     */
    async deleteLoadBalancerV2CreatedByTask(
      input: RegionalRef & { readonly name: string; readonly targetGroupNames: readonly string[]; readonly createdBy: string },
    ): Promise<{ deleted: string[]; kept: string[] }> {
      const c = aws.clientsFor(input.account, input.region);
      const deleted: string[] = [];
      const kept: string[] = [];
      const lb = await describeV2ByName(c, input.name, input.region);
      let lbGone = !lb?.LoadBalancerArn;
      if (lb?.LoadBalancerArn) {
        const lbArn = lb.LoadBalancerArn;
        if ((await v2TagsOf(c, [lbArn])).get(lbArn) === input.createdBy) {
          await awsCall(`DeleteLoadBalancer ${input.name}`, () => c.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn })));
          deleted.push(`load balancer ${input.name}`);
          lbGone = true;
        } else {
          const listeners =
            (
              await awsCall(`DescribeListeners of ${input.name}`, () =>
                c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn })),
              )
            ).Listeners ?? [];
          const listenerTags = await v2TagsOf(
            c,
            listeners.flatMap((l) => (l.ListenerArn ? [l.ListenerArn] : [])),
          );
          for (const l of listeners) {
            if (listenerTags.get(l.ListenerArn!) === input.createdBy) {
              await deleteIgnoringGone(
                () => c.elbv2.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn })),
                `DeleteListener ${l.ListenerArn}`,
              );
              deleted.push(`listener ${l.Port}`);
              continue;
            }
            const rules =
              (
                await awsCall(`DescribeRules of ${l.ListenerArn}`, () =>
                  c.elbv2.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn })),
                )
              ).Rules ?? [];
            const ruleTags = await v2TagsOf(
              c,
              rules.flatMap((r) => (r.RuleArn && !r.IsDefault ? [r.RuleArn] : [])),
            );
            for (const r of rules) {
              if (r.RuleArn && ruleTags.get(r.RuleArn) === input.createdBy) {
                await deleteIgnoringGone(() => c.elbv2.send(new DeleteRuleCommand({ RuleArn: r.RuleArn })), `DeleteRule ${r.RuleArn}`);
                deleted.push(`rule ${r.Priority} of listener ${l.Port}`);
              }
            }
          }
        }
      }
      for (const tgName of input.targetGroupNames) {
        const tg = await targetGroupByName(c, tgName, input.region);
        if (!tg?.TargetGroupArn) continue;
        const tgArn = tg.TargetGroupArn;
        if ((await v2TagsOf(c, [tgArn])).get(tgArn) !== input.createdBy) continue;
        try {
          await deleteIgnoringGone(
            () => c.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgArn })),
            `DeleteTargetGroup ${tgName}`,
          );
          deleted.push(`target group ${tgName}`);
        } catch (err) {
          if (codeOf(err) !== 'ResourceInUse' && codeOf(err) !== 'ResourceInUseException') throw err;
          // AWS frees a deleted load balancer's target groups a little later: try again then.
          if (lbGone) throw ApplicationFailure.retryable(`target group ${tgName} is still in use`, 'ResourceInUse');
          // A listener or rule that existed before this task now forwards to it: left in place.
          kept.push(`target group ${tgName}`);
        }
      }
      return { deleted, kept };

      async function deleteIgnoringGone(call: () => Promise<unknown>, what: string) {
        await awsDelete(
          what,
          call,
          (err) =>
            isAwsNotFound(err, 'targetGroup') ||
            V2_GONE.includes(String(codeOf(err))) ||
            ['ListenerNotFound', 'ListenerNotFoundException', 'RuleNotFound', 'RuleNotFoundException'].includes(String(codeOf(err))),
        );
      }
    },

    // -------------------------------------------------------------------------------------------
    // Classic

    /** The classic load balancer by name with its listeners; "not found" (any AWS refusal) is none. */
    async describeClassicLoadBalancerForUpsert(input: RegionalRef & { readonly name: string }): Promise<FoundLoadBalancer> {
      const c = aws.clientsFor(input.account, input.region);
      const lb = await describeClassic(c, input.name, input.region);
      if (!lb) return { found: false };
      return {
        found: true,
        loadBalancerArn: input.name,
        dnsName: lb.DNSName ?? '',
        createdBy: await classicCreatedBy(c, input.name, input.region),
      };
    },

    /**
     * LoadBalancerUpsertHandler.createLoadBalancer, tagged with this task: in the subnets (internal
     * if asked, with the security groups) or else in the zones. One of the name found first is
     * adopted, as AWS answers a same-named create with the existing one.
     */
    async createClassicLoadBalancer(
      input: RegionalRef &
        Pick<UpsertClassicLoadBalancer, 'name' | 'isInternal' | 'listeners'> & {
          readonly zones: readonly string[];
          readonly subnetIds: readonly string[];
          readonly securityGroupIds: readonly string[];
          readonly createdBy: string;
        },
    ): Promise<{ dnsName: string; created: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const existing = await describeClassic(c, input.name, input.region);
      if (existing)
        return { dnsName: existing.DNSName ?? '', created: (await classicCreatedBy(c, input.name, input.region)) === input.createdBy };
      const withSubnets = input.subnetIds.length > 0;
      const out = await awsCall(`CreateLoadBalancer ${input.name} in ${input.region}`, () =>
        c.elb.send(
          new CreateClassicLoadBalancerCommand({
            LoadBalancerName: input.name,
            Subnets: withSubnets ? [...input.subnetIds] : undefined,
            Scheme: withSubnets && input.isInternal ? 'internal' : undefined,
            SecurityGroups: withSubnets ? [...input.securityGroupIds] : undefined,
            AvailabilityZones: withSubnets ? undefined : [...input.zones],
            Listeners: input.listeners.map(toAwsClassicListener),
            Tags: [{ Key: CREATED_BY_TAG, Value: input.createdBy }],
          }),
        ),
      );
      return { dnsName: out.DNSName ?? '', created: true };
    },

    /**
     * LoadBalancerUpsertHandler.updateLoadBalancer: the security groups, then the listeners that
     * differ (removed, then added with the policies the old listener of that port and protocol
     * had); when an add fails, the removed ones are put back and the task fails.
     */
    async updateClassicLoadBalancer(
      input: RegionalRef & Pick<UpsertClassicLoadBalancer, 'name' | 'listeners'> & { readonly securityGroupIds: readonly string[] },
    ): Promise<UpsertReport> {
      const c = aws.clientsFor(input.account, input.region);
      const lines: string[] = [];
      const errors: string[] = [];
      const lb = await describeClassic(c, input.name, input.region);
      if (!lb) throw ApplicationFailure.nonRetryable(`load balancer ${input.name} is gone`, FailureType.LoadBalancerNotFound);
      if (lb.VPCId && input.securityGroupIds.length === 0) {
        throw ApplicationFailure.nonRetryable(
          `Load balancer ${input.name} must have at least one security group`,
          FailureType.InvalidDescription,
        );
      }
      if (input.securityGroupIds.length > 0) {
        await awsCall(`ApplySecurityGroupsToLoadBalancer ${input.name}`, () =>
          c.elb.send(
            new ApplySecurityGroupsToLoadBalancerCommand({ LoadBalancerName: input.name, SecurityGroups: [...input.securityGroupIds] }),
          ),
        );
      }
      lines.push(`Security groups updated on ${input.name}.`);

      const descriptions = lb.ListenerDescriptions ?? [];
      let wanted = input.listeners.map(toAwsClassicListener).filter(notLegacyListener);
      if (wanted.length > 0) {
        const existing = descriptions.flatMap((d) => (d.Listener ? [d.Listener] : [])).filter(notLegacyListener);
        const toRemove = existing.filter((e) => !wanted.some((w) => sameClassicListener(w, e)));
        wanted = wanted.filter((w) => !existing.some((e) => sameClassicListener(w, e)));
        const descriptionsToRemove = descriptions.filter((d) => d.Listener && toRemove.some((r) => sameClassicListener(r, d.Listener!)));
        const text = (l: ClassicAwsListener) => `(${l.LoadBalancerPort}:${l.Protocol}:${l.InstancePort})`;

        const createListener = async (d: ClassicListenerDescription, isRollback: boolean): Promise<boolean> => {
          const refused = await refusalOf(async () => {
            await awsCall(`CreateLoadBalancerListeners ${input.name}`, () =>
              c.elb.send(new CreateLoadBalancerListenersCommand({ LoadBalancerName: input.name, Listeners: [d.Listener!] })),
            );
            if ((d.PolicyNames ?? []).length > 0) {
              // Clouddriver logs a failure to set the policies and goes on.
              await refusalOf(() =>
                awsCall(`SetLoadBalancerPoliciesOfListener ${input.name}`, () =>
                  c.elb.send(
                    new SetLoadBalancerPoliciesOfListenerCommand({
                      LoadBalancerName: input.name,
                      LoadBalancerPort: d.Listener!.LoadBalancerPort,
                      PolicyNames: d.PolicyNames,
                    }),
                  ),
                ),
              );
            }
          });
          if (refused === undefined) {
            lines.push(`Listener ${isRollback ? 'rolled back on' : 'added to'} ${input.name} ${text(d.Listener!)}.`);
            return true;
          }
          const message = `Failed to ${isRollback ? 'roll back' : 'add'} listener to ${input.name} ${text(d.Listener!)} - reason: ${refused}.`;
          lines.push(message);
          errors.push(message);
          return false;
        };

        for (const d of descriptionsToRemove) {
          const refused = await refusalOf(() =>
            awsCall(`DeleteLoadBalancerListeners ${input.name}`, () =>
              c.elb.send(
                new DeleteLoadBalancerListenersCommand({
                  LoadBalancerName: input.name,
                  LoadBalancerPorts: [d.Listener!.LoadBalancerPort!],
                }),
              ),
            ),
          );
          if (refused === undefined) lines.push(`Listener removed from ${input.name} ${text(d.Listener!)}.`);
          else {
            lines.push(`Failed to remove listener ${text(d.Listener!)}: ${refused}.`);
            errors.push(refused);
          }
        }
        let rollback = false;
        for (const l of wanted) {
          const policyNames = descriptions.find(
            (d) => d.Listener?.LoadBalancerPort === l.LoadBalancerPort && d.Listener?.Protocol === l.Protocol,
          )?.PolicyNames;
          if (!(await createListener({ Listener: l, PolicyNames: policyNames ?? [] }, false))) rollback = true;
        }
        if (errors.length > 0 || rollback) {
          for (const d of descriptionsToRemove) await createListener(d, true);
        }
      }
      return { lines, errors };
    },

    /** ConfigureHealthCheck: an absolute setting. */
    async configureClassicHealthCheck(
      input: RegionalRef & {
        readonly name: string;
        readonly target: string;
        readonly interval: number;
        readonly timeout: number;
        readonly unhealthyThreshold: number;
        readonly healthyThreshold: number;
      },
    ): Promise<void> {
      const c = aws.clientsFor(input.account, input.region);
      await awsCall(`ConfigureHealthCheck ${input.name}`, () =>
        c.elb.send(
          new ConfigureHealthCheckCommand({
            LoadBalancerName: input.name,
            HealthCheck: {
              Target: input.target,
              Interval: input.interval,
              Timeout: input.timeout,
              UnhealthyThreshold: input.unhealthyThreshold,
              HealthyThreshold: input.healthyThreshold,
            },
          }),
        ),
      );
    },

    /**
     * The attributes UpsertAmazonLoadBalancerAtomicOperation sets: on a new load balancer all of
     * them (cross-zone on unless turned off, connection draining off unless turned on); on one that
     * existed, only those that differ, each taken from the description, else what it has now.
     */
    async applyClassicLoadBalancerAttributes(
      input: RegionalRef &
        Pick<UpsertClassicLoadBalancer, 'name' | 'crossZoneBalancing' | 'connectionDraining' | 'deregistrationDelay' | 'idleTimeout'> & {
          readonly existed: boolean;
        },
    ): Promise<void> {
      const c = aws.clientsFor(input.account, input.region);
      const attributes: {
        CrossZoneLoadBalancing?: { Enabled: boolean };
        ConnectionDraining?: { Enabled: boolean; Timeout?: number };
        ConnectionSettings?: { IdleTimeout: number };
      } = {};
      if (input.existed) {
        const now = (
          await awsCall(`DescribeLoadBalancerAttributes ${input.name}`, () =>
            c.elb.send(new DescribeClassicAttributesCommand({ LoadBalancerName: input.name })),
          )
        ).LoadBalancerAttributes;
        const crossZone = input.crossZoneBalancing ?? now?.CrossZoneLoadBalancing?.Enabled ?? true;
        if (crossZone !== now?.CrossZoneLoadBalancing?.Enabled) attributes.CrossZoneLoadBalancing = { Enabled: crossZone };
        const draining = input.connectionDraining ?? now?.ConnectionDraining?.Enabled ?? false;
        const delay = input.deregistrationDelay ?? now?.ConnectionDraining?.Timeout;
        if (draining !== now?.ConnectionDraining?.Enabled || delay !== now?.ConnectionDraining?.Timeout) {
          attributes.ConnectionDraining = { Enabled: draining, Timeout: delay };
        }
        if (input.idleTimeout !== now?.ConnectionSettings?.IdleTimeout) attributes.ConnectionSettings = { IdleTimeout: input.idleTimeout };
      } else {
        attributes.CrossZoneLoadBalancing = { Enabled: input.crossZoneBalancing ?? true };
        attributes.ConnectionDraining = { Enabled: input.connectionDraining ?? false, Timeout: input.deregistrationDelay };
        attributes.ConnectionSettings = { IdleTimeout: input.idleTimeout };
      }
      if (Object.keys(attributes).length === 0) return;
      await awsCall(`ModifyLoadBalancerAttributes ${input.name}`, () =>
        c.elb.send(new ModifyClassicAttributesCommand({ LoadBalancerName: input.name, LoadBalancerAttributes: attributes })),
      );
    },

    /** Compensation: the classic load balancer, only if it carries this task's tag. */
    async deleteClassicLoadBalancerCreatedByTask(
      input: RegionalRef & { readonly name: string; readonly createdBy: string },
    ): Promise<{ deleted: boolean }> {
      const c = aws.clientsFor(input.account, input.region);
      const lb = await describeClassic(c, input.name, input.region);
      if (!lb || (await classicCreatedBy(c, input.name, input.region)) !== input.createdBy) return { deleted: false };
      await awsCall(`DeleteLoadBalancer ${input.name} in ${input.region}`, () =>
        c.elb.send(new DeleteClassicLoadBalancerCommand({ LoadBalancerName: input.name })),
      );
      return { deleted: true };
    },
  };
}
