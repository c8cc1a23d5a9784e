/**
 * What the chaos run asks for, the way Orca's pipelines ask: per application, a scenario of
 * operations that depend on each other (a group is deployed before it is resized, disabled,
 * enabled or destroyed), the scenarios of all applications running side by side. Seeded: the
 * same seed gives the same applications, scenarios and bodies for Bosun and for the baseline.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../fault-proxy';

export const REGION = 'us-east-1';
export const ACCOUNT = 'test';
/** The account the image is baked in; allowLaunchDescription shares it with ACCOUNT. */
export const BAKERY_ACCOUNT = 'staging';
export const ACCOUNTS_JSON = JSON.stringify([
  { name: ACCOUNT, accountId: '123456789012' },
  { name: BAKERY_ACCOUNT, accountId: '210987654321' },
]);
export const STACK = 'main';

export const OP_KINDS = ['deploy', 'deployWithAllowLaunch', 'resize', 'disable', 'enable', 'destroy'] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** A group a scenario refers to before it exists: bound to the name the deploy reports. */
export type GroupSlot = 'g0' | 'g1';

export interface StepSpec {
  readonly kind: OpKind;
  /** For deploys: the slot the new group's name goes into. For the others: the group acted on. */
  readonly slot: GroupSlot;
  readonly capacity?: { readonly min: number; readonly max: number; readonly desired: number };
}

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
const on = (kind: 'disable' | 'enable' | 'destroy', slot: GroupSlot): StepSpec => ({ kind, slot });

/** Orca's deploy strategies and day-two operations, as sequences of Clouddriver operations. */
export const TEMPLATES: Readonly<Record<string, readonly StepSpec[]>> = {
  // Red/black with highlander clean-up: the new group comes up, the old one is disabled, then destroyed.
  redblack: [deploy('g0', true), resize('g0', 1, 3, 4), deploy('g1'), on('disable', 'g0'), on('destroy', 'g0')],
  // A deploy that is rolled back: the previous group is enabled again, the new one disabled and destroyed.
  rollback: [deploy('g0'), deploy('g1', true), on('disable', 'g0'), on('enable', 'g0'), on('disable', 'g1'), on('destroy', 'g1')],
  // Day two: scale up, take out of service, put back, scale down, retire.
  scale: [deploy('g0', true), resize('g0', 2, 4, 5), on('disable', 'g0'), on('enable', 'g0'), resize('g0', 1, 1, 3), on('destroy', 'g0')],
};

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
      targetGroup: random() < 0.5 ? `tg-${app}` : undefined,
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

export interface OpRequest {
  readonly path: string;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

export interface BodyContext {
  readonly amiName: string;
  readonly executionId: string;
}

/** The POST Orca's KatoService sends for one step; `group` is the bound name for non-deploy steps. */
export function requestFor(s: Scenario, step: StepSpec, group: string | undefined, ctx: BodyContext): OpRequest {
  const headers = {
    'content-type': 'application/json',
    'x-spinnaker-user': 'chaos@example.com',
    'x-spinnaker-accounts': `${ACCOUNT},${BAKERY_ACCOUNT}`,
    'x-spinnaker-application': s.app,
    'x-spinnaker-execution-id': ctx.executionId,
  };
  const ref = (name: string) => ({
    serverGroupName: name,
    asgName: name,
    region: REGION,
    regions: [REGION],
    credentials: ACCOUNT,
    cloudProvider: 'aws',
    user: 'chaos@example.com',
  });
  switch (step.kind) {
    case 'deploy':
    case 'deployWithAllowLaunch': {
      const create = {
        createServerGroup: {
          type: 'createServerGroup',
          cloudProvider: 'aws',
          credentials: ACCOUNT,
          application: s.app,
          stack: STACK,
          availabilityZones: { [REGION]: [`${REGION}a`, `${REGION}b`] },
          capacity: { min: 1, max: 3, desired: 2 },
          amiName: ctx.amiName,
          instanceType: 't3.micro',
          ...(s.targetGroup ? { targetGroups: [s.targetGroup] } : {}),
          tags: { 'chaos:app': s.app },
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
        body: [{ resizeServerGroup: { ...ref(group!), type: 'resizeServerGroup', capacity: step.capacity, waitTimeoutSeconds: 300 } }],
        headers,
      };
    case 'disable':
      return { path: '/aws/ops', body: [{ disableServerGroup: { ...ref(group!), type: 'disableServerGroup' } }], headers };
    case 'enable':
      return { path: '/aws/ops', body: [{ enableServerGroup: { ...ref(group!), type: 'enableServerGroup' } }], headers };
    case 'destroy':
      return {
        path: '/aws/ops',
        body: [{ destroyServerGroup: { ...ref(group!), type: 'destroyServerGroup', waitTimeoutSeconds: 300 } }],
        headers,
      };
  }
}

export function isDeploy(kind: OpKind): boolean {
  return kind === 'deploy' || kind === 'deployWithAllowLaunch';
}

/** The operation names a step posts, for the report. */
export function operationLabel(kind: OpKind): string {
  switch (kind) {
    case 'deploy':
      return 'createServerGroup';
    case 'deployWithAllowLaunch':
      return '[allowLaunchDescription, createServerGroup]';
    case 'resize':
      return 'resizeServerGroup';
    case 'disable':
      return 'disableServerGroup';
    case 'enable':
      return 'enableServerGroup';
    case 'destroy':
      return 'destroyServerGroup';
  }
}
