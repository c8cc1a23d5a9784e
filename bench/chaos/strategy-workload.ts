/**
 * The strategy workload of the chaos run (`npm run chaos -- --workload strategy`): per cluster, a
 * first group made with createServerGroup, then one or two deploys with a strategy (red/black
 * with maxRemainingAsgs 2, highlander, rolling red/black at 50% then 100%). Bosun gets each
 * deploy as one deployWithStrategy task; the baseline gets the same deploy as the separate tasks
 * Orca posts for it (create, pin, grow, disable, destroy, unpin), with nothing durable between
 * them. Afterwards every cluster is read from moto and compared with what its succeeded deploys
 * should have left: the groups, which one takes traffic, no pin left behind.
 */
import { seededRandom } from '../../test/support/fault-proxy';
import type { OpOutcome } from '../../test/support/orca-client';
import { createDescription, groupRef, STACK } from './workload';
import type { EmulatorGroup, EmulatorState } from './sweep';

export const STRATEGIES = ['redblack', 'highlander', 'rollingredblack'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The tag deployWithStrategy pins a source with (workflows/operations/deploy-with-strategy.ts PIN_TAG). */
export const PIN_TAG = 'spinnaker:pinned_capacity';
export const CAPACITY = { min: 1, desired: 2, max: 3 } as const;
const TARGET_PERCENTAGES = [50, 100] as const;
const MAX_REMAINING_ASGS = 2;

export interface StrategyScenario {
  readonly app: string;
  readonly cluster: string;
  readonly strategy: Strategy;
  /** Strategy deploys in a row into the cluster (after its first group). */
  readonly deploys: number;
  readonly startDelayMs: number;
}

/** Clusters until `deploys` strategy deploys are planned; about two in five clusters get two in a row. */
export function planStrategyWorkload(opts: { deploys: number; seed: number; appPrefix: string; rampMs: number }): StrategyScenario[] {
  const random = seededRandom(opts.seed ^ 0x57a7);
  const out: StrategyScenario[] = [];
  let planned = 0;
  for (let i = 0; planned < opts.deploys; i++) {
    const strategy = STRATEGIES[i % STRATEGIES.length]!;
    const deploys = Math.min(random() < 0.4 ? 2 : 1, opts.deploys - planned);
    const app = `${opts.appPrefix}${String(i).padStart(3, '0')}`;
    out.push({ app, cluster: `${app}-${STACK}`, strategy, deploys, startDelayMs: Math.round(random() * opts.rampMs) });
    planned += deploys;
  }
  return out;
}

export interface Post {
  readonly label: string;
  readonly body: unknown;
  /** A deploy: Orca polls until the result names the new group. */
  readonly deploy: boolean;
}

/** The first group of the cluster, the same POST for both systems. */
export function seedPost(s: StrategyScenario, amiName: string): Post {
  return {
    label: 'createServerGroup',
    deploy: true,
    body: [{ createServerGroup: { type: 'createServerGroup', ...createDescription(s.app, amiName, CAPACITY), waitTimeoutSeconds: 300 } }],
  };
}

/** Bosun: the whole deploy as one operation; a rolled-back deploy deletes the group it made. */
export function bosunDeployPost(s: StrategyScenario, amiName: string): Post {
  const fields: Record<string, unknown> =
    s.strategy === 'redblack'
      ? { maxRemainingAsgs: MAX_REMAINING_ASGS }
      : s.strategy === 'rollingredblack'
        ? { targetPercentages: [...TARGET_PERCENTAGES] }
        : {};
  return {
    label: `deployWithStrategy(${s.strategy})`,
    deploy: true,
    body: [
      {
        deployWithStrategy: {
          type: 'deployWithStrategy',
          ...createDescription(s.app, amiName, CAPACITY),
          strategy: s.strategy,
          ...fields,
          rollback: { onFailure: true, destroyLatest: true },
        },
      },
    ],
  };
}

/**
 * The baseline: the tasks Orca posts for one deploy of the strategy, given the cluster's groups
 * (oldest first; the last is the source). The new group's name is known only after the first
 * task, hence a function of it.
 */
export function baselineDeployPosts(
  s: StrategyScenario,
  amiName: string,
  groups: readonly string[],
): { readonly create: Post; readonly rest: (newGroup: string) => Post[]; readonly before: Post[] } {
  const source = groups.at(-1);
  const resize = (name: string, capacity: { min: number; desired: number; max: number }): Post => ({
    label: 'resizeServerGroup',
    deploy: false,
    body: [{ resizeServerGroup: { ...groupRef(name), type: 'resizeServerGroup', capacity, waitTimeoutSeconds: 300 } }],
  });
  const disable = (name: string, desiredPercentage?: number): Post => ({
    label: desiredPercentage === undefined ? 'disableServerGroup' : `disableServerGroup(${desiredPercentage}%)`,
    deploy: false,
    body: [{ disableServerGroup: { ...groupRef(name), type: 'disableServerGroup', ...(desiredPercentage ? { desiredPercentage } : {}) } }],
  });
  const destroy = (name: string): Post => ({
    label: 'destroyServerGroup',
    deploy: false,
    body: [{ destroyServerGroup: { ...groupRef(name), type: 'destroyServerGroup', waitTimeoutSeconds: 300 } }],
  });
  const rolling = s.strategy === 'rollingredblack';
  const create: Post = {
    label: 'createServerGroup',
    deploy: true,
    body: [
      {
        createServerGroup: {
          type: 'createServerGroup',
          // Rolling red/black starts the new group empty and grows it step by step.
          ...createDescription(s.app, amiName, rolling ? { min: 0, desired: 0, max: 0 } : CAPACITY),
          waitTimeoutSeconds: 300,
        },
      },
    ],
  };
  // Orca pins the source (min = desired) before a rolling red/black and unpins it at the end.
  const before = rolling && source ? [resize(source, { ...CAPACITY, min: CAPACITY.desired })] : [];
  const rest = (newGroup: string): Post[] => {
    if (!source) return rolling ? [resize(newGroup, CAPACITY)] : [];
    switch (s.strategy) {
      case 'highlander':
        return [...groups.map((g) => disable(g)), ...groups.map((g) => destroy(g))];
      case 'redblack':
        // shrinkCluster keeps maxRemainingAsgs - 1 older groups, then disableCluster.
        return [...groups.slice(0, Math.max(0, groups.length - (MAX_REMAINING_ASGS - 1))).map((g) => destroy(g)), disable(source)];
      case 'rollingredblack':
        return [
          resize(newGroup, { min: 1, desired: 1, max: 1 }),
          disable(source, 50),
          resize(newGroup, CAPACITY),
          disable(source, 100),
          resize(source, CAPACITY),
        ];
    }
  };
  return { create, rest, before };
}

/** The groups a deploy of the strategy disables (Orca's disableCluster: the enabled ones, here the source; highlander's every older group). */
export function disabledBy(strategy: Strategy, groups: readonly string[]): readonly string[] {
  return strategy === 'highlander' ? groups : groups.slice(-1);
}

/** What the strategy leaves in the cluster once its deploy of `newGroup` succeeded (oldest first). */
export function groupsAfter(strategy: Strategy, groups: readonly string[], newGroup: string): string[] {
  switch (strategy) {
    case 'highlander':
      return [newGroup];
    case 'redblack':
      return [...groups.slice(Math.max(0, groups.length - (MAX_REMAINING_ASGS - 1))), newGroup];
    case 'rollingredblack':
      return [...groups, newGroup];
  }
}

export interface DeployRecord {
  readonly app: string;
  readonly cluster: string;
  readonly strategy: Strategy;
  /** 0: the cluster's first group; 1, 2: the strategy deploys. */
  readonly index: number;
  /** Tasks the system ran for this deploy (Bosun: 1; the baseline: Orca's sequence). */
  readonly tasks: readonly { readonly label: string; readonly status: OpOutcome['status'] | 'skipped'; readonly reason?: string }[];
  readonly status: 'succeeded' | 'failed' | 'lost' | 'rejected' | 'skipped';
  readonly newGroup: string | undefined;
  readonly latencyMs: number | undefined;
}

export interface ClusterGroup extends Pick<EmulatorGroup, 'name' | 'min' | 'desired' | 'max'> {
  readonly enabled: boolean;
  readonly pinTag: boolean;
}

/** The run's groups by cluster (oldest first), as the end-state check reads them. */
export function clustersOf(state: EmulatorState): Map<string, ClusterGroup[]> {
  const out = new Map<string, ClusterGroup[]>();
  for (const g of state.groups) {
    const cluster = g.name.replace(/-v\d{3}$/, '');
    out.set(cluster, [
      ...(out.get(cluster) ?? []),
      {
        name: g.name,
        min: g.min,
        desired: g.desired,
        max: g.max,
        enabled: !g.suspendedProcesses.includes('AddToLoadBalancer'),
        pinTag: g.tagKeys.includes(PIN_TAG),
      },
    ]);
  }
  for (const list of out.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}

export interface ClusterProblems {
  readonly cluster: string;
  readonly strategy: Strategy;
  readonly problems: readonly string[];
}

export interface StrategyEndState {
  readonly clusters: number;
  readonly extraGroups: number;
  readonly missingGroups: number;
  readonly leakedPins: number;
  readonly wrongTraffic: number;
  readonly problems: readonly ClusterProblems[];
}

/**
 * Compares each cluster with what its succeeded deploys should leave: exactly those groups, the
 * newest taking traffic and every older one out of it, no pin tag, no min above the original.
 */
export function checkClusters(
  scenarios: readonly StrategyScenario[],
  expected: ReadonlyMap<string, readonly string[]>,
  actual: ReadonlyMap<string, readonly ClusterGroup[]>,
): StrategyEndState {
  let extraGroups = 0;
  let missingGroups = 0;
  let leakedPins = 0;
  let wrongTraffic = 0;
  const problems: ClusterProblems[] = [];
  for (const s of scenarios) {
    const want = expected.get(s.cluster) ?? [];
    const have = actual.get(s.cluster) ?? [];
    const p: string[] = [];
    const extra = have.filter((g) => !want.includes(g.name));
    const missing = want.filter((n) => !have.some((g) => g.name === n));
    extraGroups += extra.length;
    missingGroups += missing.length;
    if (extra.length) p.push(`extra groups ${extra.map((g) => g.name).join(', ')}`);
    if (missing.length) p.push(`missing groups ${missing.join(', ')}`);
    for (const g of have) {
      if (g.pinTag || g.min > CAPACITY.min) {
        leakedPins++;
        p.push(`${g.name} pinned (${g.pinTag ? 'pin tag, ' : ''}min ${g.min} > ${CAPACITY.min})`);
      }
    }
    const newest = want.at(-1);
    for (const g of have.filter((x) => want.includes(x.name))) {
      const shouldTakeTraffic = g.name === newest;
      if (g.enabled !== shouldTakeTraffic) {
        wrongTraffic++;
        p.push(`${g.name} ${g.enabled ? 'enabled' : 'disabled'}, should be ${shouldTakeTraffic ? 'enabled' : 'disabled'}`);
      }
    }
    if (p.length) problems.push({ cluster: s.cluster, strategy: s.strategy, problems: p });
  }
  return { clusters: scenarios.length, extraGroups, missingGroups, leakedPins, wrongTraffic, problems };
}
