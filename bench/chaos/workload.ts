/**
 * What the chaos run asks for, the way Orca's pipelines ask: per application, a scenario of
 * operations that depend on each other (a group is deployed before it is resized, disabled,
 * enabled, tagged, modified, scheduled, hooked, autoscaled, alarmed, has its instances moved or
 * is destroyed; images, snapshots, launch settings, security groups and load balancers made
 * before the run are tagged and deleted; a security group and load balancers are upserted and then
 * changed), the scenarios of all applications running side by side.
 * Seeded: the same seed gives the same applications, scenarios and bodies for Bosun and for the
 * baseline.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../test/support/fault-proxy';
import type { OrcaRequest } from '../../test/support/orca-client';
import { orcaGroupRef } from '../../test/support/orca-client';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';
/** The account the image is baked in; allowLaunchDescription shares it with ACCOUNT. */
export const BAKERY_ACCOUNT = 'staging';
export const ACCOUNTS_JSON = JSON.stringify([
  { name: ACCOUNT, accountId: '123456789012' },
  { name: BAKERY_ACCOUNT, accountId: '210987654321' },
]);
export const STACK = 'main';
/** The purpose the default subnets of the deploy's zones carry (fixtures.ts tags them), Spinnaker's subnetType. */
export const SUBNET_PURPOSE = 'internal (vpc0)';
export const ZONES = [`${REGION}a`, `${REGION}b`];

/** Each step kind of the scenarios, with the operation names it posts (for the report). */
const OPERATIONS = {
  deploy: 'createServerGroup',
  deployWithAllowLaunch: '[allowLaunchDescription, createServerGroup]',
  resize: 'resizeServerGroup',
  disable: 'disableServerGroup',
  enable: 'enableServerGroup',
  destroy: 'destroyServerGroup',
  upsertTags: 'upsertServerGroupTags',
  deleteTags: 'deleteAsgTagsDescription',
  modifyAsg: 'modifyAsgDescription',
  scheduledActions: 'upsertAsgScheduledActionsDescription',
  lifecycleHook: 'upsertAsgLifecycleHookDescription',
  upsertScalingPolicy: 'upsertScalingPolicy',
  deleteScalingPolicy: 'deleteScalingPolicy',
  upsertAlarm: 'upsertAlarmDescription',
  deleteAlarm: 'deleteAlarmDescription',
  deregisterInstances: 'deregisterInstancesFromLoadBalancer',
  registerInstances: 'registerInstancesWithLoadBalancer',
  updateInstances: 'updateInstances',
  detachInstances: 'detachInstances',
  upsertImageTags: 'upsertImageTags',
  deleteImage: 'deleteImage',
  deleteSnapshot: 'deleteSnapshot',
  deleteLaunchConfiguration: 'deleteLaunchConfiguration',
  deleteLaunchTemplate: 'deleteLaunchTemplate',
  deleteSecurityGroup: 'deleteSecurityGroup',
  deleteLoadBalancer: 'deleteLoadBalancer',
  upsertSecurityGroup: 'upsertSecurityGroup',
  upsertLoadBalancer: 'upsertLoadBalancer (application)',
  upsertClassicLoadBalancer: 'upsertLoadBalancer (classic)',
} as const;
export type OpKind = keyof typeof OPERATIONS;

export function operationLabel(kind: OpKind): string {
  return OPERATIONS[kind];
}

/** A group a scenario refers to before it exists: bound to the name the deploy reports. */
export type GroupSlot = 'g0' | 'g1';

export interface StepSpec {
  readonly kind: OpKind;
  /** For deploys: the slot the new group's name goes into. For the others: the group acted on. */
  readonly slot: GroupSlot;
  readonly capacity?: { readonly min: number; readonly max: number; readonly desired: number };
  /** For upsertAlarm: which of the application's two alarms (`dropped` is deleted later). */
  readonly alarm?: AlarmSlot;
  /** For the infrastructure upserts: the first body (creates) or the second (changes what the first made). */
  readonly revision?: Revision;
}

export type Revision = 1 | 2;

export type AlarmSlot = 'kept' | 'dropped';

export interface Scenario {
  readonly app: string;
  readonly template: string;
  readonly steps: readonly StepSpec[];
  /** A target group made for the app before the run (so enable/disable move instances). */
  readonly targetGroup: string | undefined;
  /** When this scenario's first POST goes out, after the run starts. */
  readonly startDelayMs: number;
}

const deploy = (slot: GroupSlot, allow = false): StepSpec => ({ kind: allow ? 'deployWithAllowLaunch' : 'deploy', slot });
const resize = (slot: GroupSlot, min: number, desired: number, max: number): StepSpec => ({
  kind: 'resize',
  slot,
  capacity: { min, max, desired },
});
const on = (kind: Exclude<OpKind, 'deploy' | 'deployWithAllowLaunch' | 'resize'>, slot: GroupSlot = 'g0'): StepSpec => ({ kind, slot });
const alarm = (which: AlarmSlot): StepSpec => ({ kind: 'upsertAlarm', slot: 'g0', alarm: which });
const upsert = (kind: 'upsertSecurityGroup' | 'upsertLoadBalancer' | 'upsertClassicLoadBalancer', revision: Revision): StepSpec => ({
  kind,
  slot: 'g0',
  revision,
});

/** Orca's deploy strategies and day-two operations, as sequences of Clouddriver operations. */
export const TEMPLATES: Readonly<Record<string, readonly StepSpec[]>> = {
  // Red/black with highlander clean-up: the new group comes up, the old one is disabled, then destroyed.
  redblack: [deploy('g0', true), resize('g0', 1, 3, 4), deploy('g1'), on('disable', 'g0'), on('destroy', 'g0')],
  // A deploy that is rolled back: the previous group is enabled again, the new one disabled and destroyed.
  rollback: [deploy('g0'), deploy('g1', true), on('disable', 'g0'), on('enable', 'g0'), on('disable', 'g1'), on('destroy', 'g1')],
  // Day two: scale up, take out of service, put back, scale down, retire.
  scale: [deploy('g0', true), resize('g0', 2, 4, 5), on('disable', 'g0'), on('enable', 'g0'), resize('g0', 1, 1, 3), on('destroy', 'g0')],
  // Day two on the group itself: tags, settings, a schedule and a lifecycle hook; the group stays.
  groupSettings: [deploy('g0'), on('upsertTags'), on('modifyAsg'), on('scheduledActions'), on('lifecycleHook'), on('deleteTags')],
  // Autoscaling: a target-tracking policy and two alarms; one alarm and then the policy go again.
  scalingAlarms: [deploy('g0'), on('upsertScalingPolicy'), alarm('kept'), alarm('dropped'), on('deleteAlarm'), on('deleteScalingPolicy')],
  // Instances behind the app's target group: out and back in, new security groups, one detached and terminated.
  instances: [deploy('g0'), on('deregisterInstances'), on('registerInstances'), on('updateInstances'), on('detachInstances')],
  // Clean-up of what the application's earlier runs left (made before the run; see fixtures.ts).
  cleanup: [
    on('upsertImageTags'),
    on('deleteImage'),
    on('deleteSnapshot'),
    on('deleteLaunchConfiguration'),
    on('deleteLaunchTemplate'),
    on('deleteSecurityGroup'),
    on('deleteLoadBalancer'),
  ],
  // The application's network edge: a security group made and then changed (rules added, removed,
  // re-described), an application load balancer with a target group and listener made and then
  // changed (health check, a listener rule), and a classic load balancer.
  infrastructure: [
    upsert('upsertSecurityGroup', 1),
    upsert('upsertSecurityGroup', 2),
    upsert('upsertLoadBalancer', 1),
    upsert('upsertLoadBalancer', 2),
    upsert('upsertClassicLoadBalancer', 1),
  ],
};

/** Templates whose groups need a target group (instances move in and out of it). */
const NEEDS_TARGET_GROUP: ReadonlySet<string> = new Set(['instances']);

export interface WorkloadOptions {
  readonly ops: number;
  readonly seed: number;
  /** Distinguishes this run's (and this system's) applications from everything else in the emulator. */
  readonly appPrefix: string;
  /** Scenarios start spread over this many ms, as pipelines do. */
  readonly rampMs: number;
}

/**
 * Scenarios until `ops` operations are planned; the last one is cut short if needed (its groups
 * then simply stay, which the leak sweep knows from the successful deploys).
 */
export function planWorkload(opts: WorkloadOptions): Scenario[] {
  if (!/^[a-z0-9]+$/.test(opts.appPrefix)) throw new Error(`appPrefix must be lower-case letters and digits, got '${opts.appPrefix}'`);
  const random = seededRandom(opts.seed ^ 0x5eed);
  const names = Object.keys(TEMPLATES);
  const scenarios: Scenario[] = [];
  let planned = 0;
  for (let i = 0; planned < opts.ops && i < 10_000; i++) {
    const template = names[Math.floor(random() * names.length)]!;
    const all = TEMPLATES[template]!;
    const steps = all.slice(0, Math.min(all.length, opts.ops - planned));
    const app = `${opts.appPrefix}${String(i).padStart(3, '0')}`;
    scenarios.push({
      app,
      template,
      steps,
      // Every other application sits behind a target group, so enable and disable have instances to move.
      targetGroup: random() < 0.5 || NEEDS_TARGET_GROUP.has(template) ? `tg-${app}` : undefined,
      startDelayMs: Math.round(random() * opts.rampMs),
    });
    planned += steps.length;
  }
  return scenarios;
}

export function clusterOf(app: string): string {
  return `${app}-${STACK}`;
}

/** Orca's clientRequestId: a digest of what identifies the stage task (here: run, app, step). */
export function clientRequestIdFor(runId: string, app: string, step: number): string {
  return createHash('sha256').update(`${runId}:${app}:${step}`).digest('hex');
}

export interface BodyContext {
  readonly amiName: string;
  readonly executionId: string;
  /** What the application's scenario works on that was made before the run (cleanup's images and the like). */
  readonly fixture?: AppFixture | undefined;
  /** What Orca would read from Clouddriver's cache before the step: the group's instances and policies. */
  readonly facts?: GroupFacts | undefined;
}

/** Resources made for one application before the run (bench/chaos/fixtures.ts makes them). */
export interface AppFixture {
  /** Security group the instances scenario moves its instances into. */
  readonly instanceSecurityGroupId?: string;
  /** The cleanup scenario's: an image to tag, and the things it deletes. */
  readonly taggedImageName?: string;
  readonly taggedImageId?: string;
  readonly oldImageId?: string;
  readonly snapshotId?: string;
  readonly launchConfigurationName?: string;
  readonly launchTemplateId?: string;
  readonly securityGroupName?: string;
  /** Clouddriver matches a security group by name within the VPC posted. */
  readonly vpcId?: string;
  readonly loadBalancerName?: string;
  /** The infrastructure scenario's: the security group its load balancers are in (by name, in vpcId). */
  readonly loadBalancerSecurityGroupName?: string;
}

/** A group as the step before it left it: in-service instances (sorted) and scaling policy names. */
export interface GroupFacts {
  readonly instanceIds: readonly string[];
  readonly policyNames: readonly string[];
}

/** Steps whose body names instances or policies the group has at that point. */
export function needsGroupFacts(kind: OpKind): boolean {
  return kind === 'deregisterInstances' || kind === 'registerInstances' || kind === 'detachInstances' || kind === 'deleteScalingPolicy';
}

/** Names the end-state checks look for. */
export const END_STATE = {
  tagKept: 'chaos:team',
  tagDropped: 'chaos:temp',
  // Sent, not checked: moto's UpdateAutoScalingGroup does not change DefaultCooldown.
  cooldown: 42,
  healthCheckGracePeriod: 123,
  scheduledRecurrence: '0 3 * * *',
  hookName: 'chaos-drain',
  imageTag: 'chaos:release',
  alarmName: (app: string, which: AlarmSlot) => `${app}-cpu-${which}`,
  securityGroupName: (app: string) => `${app}-web`,
  albName: (app: string) => `${app}-alb`,
  albTargetGroupName: (app: string) => `${app}-tg`,
  classicName: (app: string) => `${app}-elb`,
  /** The ALB's listener rule the second upsert adds. */
  albRulePath: '/api/*',
  healthCheckPath: (revision: Revision) => (revision === 1 ? '/health' : '/ready'),
} as const;

/** One ingress rule as the end-state check reads it back: `self` for the group itself. */
export interface ChaosRule {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly source: string;
  readonly description?: string;
}

/**
 * The rule set each upsertSecurityGroup body asks for. The second keeps port 80 with a new
 * description, drops 443, adds 8080 and keeps the rule naming the group itself.
 */
export function securityGroupRules(revision: Revision): readonly ChaosRule[] {
  const self: ChaosRule = { protocol: 'tcp', from: 7001, to: 7001, source: 'self' };
  return revision === 1
    ? [
        { protocol: 'tcp', from: 80, to: 80, source: '10.0.0.0/8', description: 'office' },
        { protocol: 'tcp', from: 443, to: 443, source: '10.1.0.0/16' },
        self,
      ]
    : [
        { protocol: 'tcp', from: 80, to: 80, source: '10.0.0.0/8', description: 'office and vpn' },
        { protocol: 'tcp', from: 8080, to: 8080, source: '172.16.0.0/12' },
        self,
      ];
}

/** A rule as one comparable line. */
export function ruleLine(r: ChaosRule): string {
  return `${r.protocol} ${r.from}-${r.to} ${r.source}${r.description ? ` (${r.description})` : ''}`;
}

/** The instance the registration steps move (the first) and the one detached (the last). */
export function movedInstance(facts: GroupFacts | undefined): string | undefined {
  return facts?.instanceIds[0];
}
export function detachedInstance(facts: GroupFacts | undefined): string | undefined {
  return facts?.instanceIds.at(-1);
}

/** The headers Orca's KatoService sends with an operation. */
export function headersFor(app: string, executionId: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-spinnaker-user': 'chaos@example.com',
    'x-spinnaker-accounts': `${ACCOUNT},${BAKERY_ACCOUNT}`,
    'x-spinnaker-application': app,
    'x-spinnaker-execution-id': executionId,
  };
}

/** How Orca names one server group in an operation's body. */
export const groupRef = (name: string) => orcaGroupRef(name, 'chaos@example.com');

/** What every createServerGroup of the run asks for, besides its capacity. */
export function createDescription(app: string, amiName: string, capacity: { min: number; desired: number; max: number }) {
  return {
    cloudProvider: 'aws',
    credentials: ACCOUNT,
    application: app,
    stack: STACK,
    availabilityZones: { [REGION]: ZONES },
    capacity,
    amiName,
    instanceType: 't3.micro',
    tags: { 'chaos:app': app },
  };
}

/** The POST Orca's KatoService sends for one step; `group` is the bound name for non-deploy steps. */
export function requestFor(s: Scenario, step: StepSpec, group: string | undefined, ctx: BodyContext): OrcaRequest {
  const headers = headersFor(s.app, ctx.executionId);
  switch (step.kind) {
    case 'deploy':
    case 'deployWithAllowLaunch': {
      const create = {
        createServerGroup: {
          type: 'createServerGroup',
          ...createDescription(s.app, ctx.amiName, { min: 1, max: 3, desired: 2 }),
          ...(s.targetGroup ? { targetGroups: [s.targetGroup] } : {}),
          // In a VPC where instances are moved between security groups (EC2-Classic instances cannot be).
          ...(s.template === 'instances' ? { subnetType: SUBNET_PURPOSE } : {}),
          waitForHealthyPercentage: 100,
          // Bounded: a deploy that cannot get healthy instances says so instead of waiting 30 minutes.
          waitTimeoutSeconds: 300,
        },
      };
      const body =
        step.kind === 'deploy'
          ? [create]
          : [
              {
                allowLaunchDescription: {
                  type: 'allowLaunchDescription',
                  account: ACCOUNT,
                  credentials: BAKERY_ACCOUNT,
                  amiName: ctx.amiName,
                  region: REGION,
                },
              },
              create,
            ];
      return { path: '/aws/ops', body, headers };
    }
    case 'resize':
      return {
        path: '/aws/ops',
        body: [{ resizeServerGroup: { ...groupRef(group!), type: 'resizeServerGroup', capacity: step.capacity, waitTimeoutSeconds: 300 } }],
        headers,
      };
    case 'disable':
      return { path: '/aws/ops', body: [{ disableServerGroup: { ...groupRef(group!), type: 'disableServerGroup' } }], headers };
    case 'enable':
      return { path: '/aws/ops', body: [{ enableServerGroup: { ...groupRef(group!), type: 'enableServerGroup' } }], headers };
    case 'destroy':
      return {
        path: '/aws/ops',
        body: [{ destroyServerGroup: { ...groupRef(group!), type: 'destroyServerGroup', waitTimeoutSeconds: 300 } }],
        headers,
      };
    default:
      return { path: '/aws/ops', body: [dayTwoOperation(s, step, group, ctx)], headers };
  }
}

/** The one-operation body of a step after the deploys (tags, settings, instances, clean-up). */
function dayTwoOperation(s: Scenario, step: StepSpec, group: string | undefined, ctx: BodyContext): Record<string, unknown> {
  const base = { credentials: ACCOUNT, region: REGION, cloudProvider: 'aws', application: s.app };
  const asgs = () => [{ serverGroupName: group!, region: REGION }];
  const fx = ctx.fixture ?? {};
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${s.app} step ${step.kind}: no ${what}`);
    return v;
  };
  switch (step.kind) {
    case 'upsertTags':
      return {
        upsertServerGroupTags: { ...groupRef(group!), tags: { [END_STATE.tagKept]: s.app, [END_STATE.tagDropped]: 'soon gone' } },
      };
    case 'deleteTags':
      return { deleteAsgTagsDescription: { ...base, asgs: asgs(), tagKeys: [END_STATE.tagDropped] } };
    case 'modifyAsg':
      return {
        modifyAsgDescription: {
          ...base,
          asgs: asgs(),
          cooldown: END_STATE.cooldown,
          healthCheckGracePeriod: END_STATE.healthCheckGracePeriod,
        },
      };
    case 'scheduledActions':
      return {
        upsertAsgScheduledActionsDescription: {
          ...base,
          asgs: asgs(),
          scheduledActions: [{ recurrence: END_STATE.scheduledRecurrence, minSize: 1, maxSize: 3, desiredCapacity: 2 }],
        },
      };
    case 'lifecycleHook':
      return {
        upsertAsgLifecycleHookDescription: {
          ...base,
          serverGroupName: group,
          name: END_STATE.hookName,
          lifecycleTransition: 'EC2InstanceTerminating',
          heartbeatTimeout: 300,
          defaultResult: 'CONTINUE',
          roleARN: 'arn:aws:iam::123456789012:role/chaos-hooks',
          notificationTargetARN: 'arn:aws:sns:us-east-1:123456789012:chaos-hooks',
        },
      };
    case 'upsertScalingPolicy':
      return {
        upsertScalingPolicy: {
          ...base,
          serverGroupName: group,
          targetTrackingConfiguration: {
            targetValue: 60,
            predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
          },
        },
      };
    case 'deleteScalingPolicy':
      return {
        deleteScalingPolicy: { ...base, serverGroupName: group, policyName: need(ctx.facts?.policyNames[0], 'scaling policy') },
      };
    case 'upsertAlarm':
      return {
        upsertAlarmDescription: {
          ...base,
          asgName: group,
          name: END_STATE.alarmName(s.app, step.alarm ?? 'kept'),
          metricName: 'CPUUtilization',
          namespace: 'AWS/EC2',
          statistic: 'Average',
          comparisonOperator: 'GreaterThanThreshold',
          threshold: 80,
          evaluationPeriods: 2,
        },
      };
    case 'deleteAlarm':
      return { deleteAlarmDescription: { ...base, names: [END_STATE.alarmName(s.app, 'dropped')] } };
    case 'deregisterInstances':
    case 'registerInstances':
      return {
        [step.kind === 'registerInstances' ? 'registerInstancesWithLoadBalancer' : 'deregisterInstancesFromLoadBalancer']: {
          ...base,
          asgName: group,
          instanceIds: [need(movedInstance(ctx.facts), 'instance')],
          targetGroupNames: [need(s.targetGroup, 'target group')],
        },
      };
    case 'updateInstances':
      return { updateInstances: { ...base, serverGroupName: group, securityGroups: [need(fx.instanceSecurityGroupId, 'security group')] } };
    case 'detachInstances':
      return {
        detachInstances: {
          ...base,
          asgName: group,
          instanceIds: [need(detachedInstance(ctx.facts), 'instance')],
          decrementDesiredCapacity: true,
          terminateDetachedInstances: true,
        },
      };
    case 'upsertImageTags':
      return {
        upsertImageTags: { ...base, amiName: need(fx.taggedImageName, 'image'), regions: [REGION], tags: { [END_STATE.imageTag]: s.app } },
      };
    case 'deleteImage':
      return { deleteImage: { ...base, imageId: need(fx.oldImageId, 'image') } };
    case 'deleteSnapshot':
      return { deleteSnapshot: { ...base, snapshotId: need(fx.snapshotId, 'snapshot') } };
    case 'deleteLaunchConfiguration':
      return { deleteLaunchConfiguration: { ...base, launchConfigurationName: need(fx.launchConfigurationName, 'launch configuration') } };
    case 'deleteLaunchTemplate':
      return { deleteLaunchTemplate: { ...base, launchTemplateId: need(fx.launchTemplateId, 'launch template') } };
    case 'deleteSecurityGroup':
      return {
        deleteSecurityGroup: {
          ...base,
          regions: [REGION],
          securityGroupName: need(fx.securityGroupName, 'security group'),
          vpcId: need(fx.vpcId, 'VPC'),
        },
      };
    case 'deleteLoadBalancer':
      return { deleteLoadBalancer: { ...base, regions: [REGION], loadBalancerName: need(fx.loadBalancerName, 'load balancer') } };
    case 'upsertSecurityGroup': {
      const name = END_STATE.securityGroupName(s.app);
      const rules = securityGroupRules(step.revision ?? 1);
      return {
        upsertSecurityGroup: {
          ...base,
          vpcId: need(fx.vpcId, 'VPC'),
          name,
          description: `${s.app} web tier`,
          ipIngress: rules
            .filter((r) => r.source !== 'self')
            .map((r) => ({
              cidr: r.source,
              ipProtocol: r.protocol,
              startPort: r.from,
              endPort: r.to,
              ...(r.description ? { description: r.description } : {}),
            })),
          securityGroupIngress: rules
            .filter((r) => r.source === 'self')
            .map((r) => ({ name, accountName: ACCOUNT, ipProtocol: r.protocol, startPort: r.from, endPort: r.to })),
        },
      };
    }
    case 'upsertLoadBalancer': {
      const tg = END_STATE.albTargetGroupName(s.app);
      const second = step.revision === 2;
      return {
        upsertLoadBalancer: {
          ...base,
          ...loadBalancerNetwork(fx, need),
          loadBalancerType: 'application',
          name: END_STATE.albName(s.app),
          targetGroups: [
            {
              name: tg,
              protocol: 'HTTP',
              port: 8080,
              healthCheckProtocol: 'HTTP',
              healthCheckPort: 'traffic-port',
              healthCheckPath: END_STATE.healthCheckPath(step.revision ?? 1),
              attributes: { deregistrationDelay: 60 },
            },
          ],
          listeners: [
            {
              protocol: 'HTTP',
              port: 80,
              defaultActions: [{ targetGroupName: tg }],
              rules: second
                ? [
                    {
                      priority: '10',
                      actions: [{ targetGroupName: tg }],
                      conditions: [{ field: 'path-pattern', values: [END_STATE.albRulePath] }],
                    },
                  ]
                : [],
            },
          ],
        },
      };
    }
    case 'upsertClassicLoadBalancer':
      return {
        upsertLoadBalancer: {
          ...base,
          ...loadBalancerNetwork(fx, need),
          name: END_STATE.classicName(s.app),
          listeners: [{ externalProtocol: 'HTTP', externalPort: 80, internalPort: 7001 }],
          healthCheck: 'HTTP:7001/health',
        },
      };
    default:
      throw new Error(`${step.kind} is not a day-two step`);
  }
}

/** Where the infrastructure scenario's load balancers go: the default VPC's subnets of SUBNET_PURPOSE in ZONES. */
function loadBalancerNetwork(fx: AppFixture, need: <T>(v: T | undefined, what: string) => T): Record<string, unknown> {
  return {
    vpcId: need(fx.vpcId, 'VPC'),
    subnetType: SUBNET_PURPOSE,
    securityGroups: [need(fx.loadBalancerSecurityGroupName, 'load balancer security group')],
    availabilityZones: { [REGION]: ZONES },
  };
}

export function isDeploy(kind: OpKind): boolean {
  return kind === 'deploy' || kind === 'deployWithAllowLaunch';
}
