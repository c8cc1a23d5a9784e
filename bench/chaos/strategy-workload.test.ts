/**
 * The strategy workload's plan and its end-state check: the check must see each kind of damage
 * (an extra or missing group, a pin left behind, traffic on the wrong group), or its zeros say nothing.
 */
import type { ClusterGroup, StrategyScenario } from './strategy-workload';
import { baselineDeployPosts, checkClusters, groupsAfter, planStrategyWorkload } from './strategy-workload';

const g = (name: string, extra: Partial<ClusterGroup> = {}): ClusterGroup => ({
  name,
  min: 1,
  desired: 2,
  max: 3,
  enabled: false,
  pinTag: false,
  ...extra,
});

test('the plan: the deploys asked for, each strategy, some clusters twice in a row, the same for the same seed', () => {
  const plan = planStrategyWorkload({ deploys: 60, seed: 7, appPrefix: 'sx', rampMs: 1000 });
  expect(plan.reduce((n, s) => n + s.deploys, 0)).toBe(60);
  expect(new Set(plan.map((s) => s.strategy))).toEqual(new Set(['redblack', 'highlander', 'rollingredblack']));
  expect(plan.some((s) => s.deploys === 2)).toBe(true);
  expect(planStrategyWorkload({ deploys: 60, seed: 7, appPrefix: 'sx', rampMs: 1000 })).toEqual(plan);
});

test('what each strategy leaves: highlander one group, redblack maxRemainingAsgs (2), rolling every group', () => {
  expect(groupsAfter('highlander', ['a-v000'], 'a-v001')).toEqual(['a-v001']);
  expect(groupsAfter('redblack', ['a-v000'], 'a-v001')).toEqual(['a-v000', 'a-v001']);
  expect(groupsAfter('redblack', ['a-v000', 'a-v001'], 'a-v002')).toEqual(['a-v001', 'a-v002']);
  expect(groupsAfter('rollingredblack', ['a-v000', 'a-v001'], 'a-v002')).toEqual(['a-v000', 'a-v001', 'a-v002']);
});

test("the baseline's task sequences are Orca's: rolling pins first, grows, disables by percentage, unpins last", () => {
  const s: StrategyScenario = { app: 'a', cluster: 'a-main', strategy: 'rollingredblack', deploys: 1, startDelayMs: 0 };
  const seq = baselineDeployPosts(s, 'ami', ['a-main-v000']);
  expect(seq.before.map((p) => p.label)).toEqual(['resizeServerGroup']);
  expect(seq.rest('a-main-v001').map((p) => p.label)).toEqual([
    'resizeServerGroup',
    'disableServerGroup(50%)',
    'resizeServerGroup',
    'disableServerGroup(100%)',
    'resizeServerGroup',
  ]);
  const h = baselineDeployPosts({ ...s, strategy: 'highlander' }, 'ami', ['a-main-v000']);
  expect(h.rest('a-main-v001').map((p) => p.label)).toEqual(['disableServerGroup', 'destroyServerGroup']);
  const r = baselineDeployPosts({ ...s, strategy: 'redblack' }, 'ami', ['a-main-v000', 'a-main-v001']);
  expect(r.rest('a-main-v002').map((p) => p.label)).toEqual(['destroyServerGroup', 'disableServerGroup']);
});

test('the end-state check counts extra and missing groups, leaked pins and traffic on the wrong group', () => {
  const scenarios: StrategyScenario[] = [
    { app: 'a', cluster: 'a-main', strategy: 'highlander', deploys: 1, startDelayMs: 0 },
    { app: 'b', cluster: 'b-main', strategy: 'rollingredblack', deploys: 1, startDelayMs: 0 },
    { app: 'c', cluster: 'c-main', strategy: 'redblack', deploys: 1, startDelayMs: 0 },
  ];
  const expected = new Map([
    ['a-main', ['a-main-v001']],
    ['b-main', ['b-main-v000', 'b-main-v001']],
    ['c-main', ['c-main-v000', 'c-main-v001']],
  ]);
  const clean = new Map([
    ['a-main', [g('a-main-v001', { enabled: true })]],
    ['b-main', [g('b-main-v000'), g('b-main-v001', { enabled: true })]],
    ['c-main', [g('c-main-v000'), g('c-main-v001', { enabled: true })]],
  ]);
  expect(checkClusters(scenarios, expected, clean)).toMatchObject({ extraGroups: 0, missingGroups: 0, leakedPins: 0, wrongTraffic: 0 });
  const damaged = new Map([
    ['a-main', [g('a-main-v000', { enabled: true }), g('a-main-v001', { enabled: true })]],
    ['b-main', [g('b-main-v000', { min: 2, pinTag: true }), g('b-main-v001', { enabled: true })]],
    ['c-main', [g('c-main-v000', { enabled: true })]],
  ]);
  const found = checkClusters(scenarios, expected, damaged);
  expect(found).toMatchObject({ extraGroups: 1, missingGroups: 1, leakedPins: 1, wrongTraffic: 1 });
  expect(found.problems.map((p) => p.cluster)).toEqual(['a-main', 'b-main', 'c-main']);
});
