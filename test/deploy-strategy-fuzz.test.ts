/**
 * deployWithStrategy under fire: for every strategy, seeded trials in which the worker (a child
 * process) is SIGKILLed at a seeded AWS call of the deploy (after AWS applied it, or before AWS saw
 * it) and AWS faults hit seeded calls (throttling, 500, 503, a reset before AWS acts, an answer
 * lost after AWS acted), through a proxy in front of moto (test/support/strategy-fuzz.ts). Some
 * trials succeed, some are approved at a gate, some roll back (a health wait that never passes,
 * a `rollback` Update, a cancel), so the compensations run under kills too. Each trial then reads
 * AWS's own state from moto and what the proxy saw AWS apply, and checks:
 *
 * - no pin leaks: no group carries the pin tag, and the source's min is back at (or, unpinned
 *   after a success, not above) its snapshot;
 * - exactly the groups the outcome leaves, and no extra `vNNN`: AWS applied CreateAutoScalingGroup
 *   at most once per name, and only for the source and the one new group;
 * - traffic on the groups that should have it: `AddToLoadBalancer` suspended exactly on the groups
 *   out of traffic, their instances registered in the target group exactly when in traffic;
 * - no group disabled twice (below).
 *
 * "Disabled twice" means: within one deploy, AWS applied a change that took a group from in
 * traffic (`AddToLoadBalancer` not suspended) to out of it more than once. The proxy reads the
 * group from moto just before it forwards each SuspendProcesses / ResumeProcesses touching
 * `AddToLoadBalancer`, so a repeated suspend of a group already out of traffic (a retry whose first
 * answer was lost) is told apart: it changes nothing and is idempotent, and is only counted.
 *
 * The seed is in each test's name; `BOSUN_FUZZ_ONLY=redblack:31007` runs that one trial again,
 * `BOSUN_FUZZ_SEED` moves every seed. Timing (which calls overlap a restart) is the machine's, so
 * a seed replays the same faults and kill points, not the same interleaving.
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { seededRandom } from './support/fault-proxy';
import { ACCOUNT, REGION, testAwsClients } from './harness';
import { emulatorAl2023Image } from './support/instances';
import type { TaskJson } from './support/orca-client';
import { pollTask, post } from './support/orca-client';
import type { Tap } from './support/strategy-fuzz';
import { actOn, newTap, useFuzzStack, waitForLine } from './support/strategy-fuzz';

type Strategy = 'redblack' | 'highlander' | 'rollingredblack' | 'none';
type Outcome = 'succeeds' | 'approvedAtGate' | 'rollbackAtGate' | 'cancelAtGate' | 'healthNeverUp' | 'cancelInHealthWait';

const OUTCOME_TEXT: Record<Outcome, string> = {
  succeeds: 'succeeds',
  approvedAtGate: 'approved at its gate',
  rollbackAtGate: 'rolled back by an Update at its gate',
  cancelAtGate: 'cancelled at its gate',
  healthNeverUp: 'rolled back: its health wait never passes',
  cancelInHealthWait: 'cancelled in its health wait',
};

/** What each strategy's trials end as, in order. */
const PLAN: Record<Strategy, Outcome[]> = {
  redblack: ['succeeds', 'approvedAtGate', 'rollbackAtGate', 'healthNeverUp'],
  highlander: ['succeeds', 'cancelAtGate', 'healthNeverUp'],
  rollingredblack: ['succeeds', 'rollbackAtGate', 'healthNeverUp', 'cancelAtGate'],
  none: ['succeeds', 'healthNeverUp', 'cancelInHealthWait'],
};

const BASE_SEED = Number(process.env.BOSUN_FUZZ_SEED ?? 31000);
const PIN_TAG = 'spinnaker:pinned_capacity';
const CAPACITY = { min: 1, max: 4, desired: 2 };
const FAULT_RATE = 0.12;
/**
 * The kill lands on one of the deploy's first calls: up to about three quarters of what the
 * strategy makes without faults (measured: none 17, redblack 30, highlander 32, rollingredblack
 * 40), so it may fall in any step but the last ones. A rolled-back deploy makes fewer calls than a
 * successful one and the number of polls depends on timing (a redblack rollback made 27), so the
 * bound leaves room below both; a trial whose deploy still ends before its kill call fails as
 * never killed.
 */
const CALLS: Record<Strategy, number> = { none: 12, redblack: 22, highlander: 24, rollingredblack: 30 };
const GATE_CALLS = 15;

interface Trial {
  readonly strategy: Strategy;
  readonly outcome: Outcome;
  readonly seed: number;
  readonly title: string;
}

const TRIALS: Trial[] = (Object.entries(PLAN) as [Strategy, Outcome[]][]).flatMap(([strategy, outcomes], s) =>
  outcomes.map((outcome, i) => {
    const seed = BASE_SEED + s * 1000 + i * 7;
    return { strategy, outcome, seed, title: `${strategy}, seed ${seed}: ${OUTCOME_TEXT[outcome]}` };
  }),
);
const only = process.env.BOSUN_FUZZ_ONLY;
const CHOSEN = only ? TRIALS.filter((t) => `${t.strategy}:${t.seed}` === only) : TRIALS;

interface TrialResult {
  readonly problems: string[];
  readonly summary: string;
}

const stack = useFuzzStack('strategy-fuzz');
const results = new Map<string, TrialResult>();
let amiName: string;
let vpcId: string | undefined;

const aws = () => testAwsClients(stack().env.aws);

async function groupsNamed(names: readonly string[]): Promise<Map<string, AutoScalingGroup>> {
  const out = await aws().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...names] }));
  return new Map((out.AutoScalingGroups ?? []).filter((g) => !g.Status).map((g) => [g.AutoScalingGroupName!, g]));
}

const inTraffic = (g: AutoScalingGroup) => !(g.SuspendedProcesses ?? []).some((p) => p.ProcessName === 'AddToLoadBalancer');
const capacityOf = (g: AutoScalingGroup) => `${g.MinSize}/${g.DesiredCapacity}/${g.MaxSize}`;

function description(app: string, tg: string, extra: Record<string, unknown>) {
  return {
    credentials: ACCOUNT,
    application: app,
    stack: 'fz',
    availabilityZones: { [REGION]: ['us-east-1a'] },
    capacity: CAPACITY,
    amiName,
    instanceType: 't3.micro',
    targetGroups: [tg],
    ...extra,
  };
}

/** One trial: a source, the tapped deploy driven to its outcome, then AWS's state judged. */
async function runTrial(t: Trial): Promise<TrialResult> {
  const { env, proxy } = stack();
  const random = seededRandom(t.seed);
  // A fixed-length marker, so no trial's marker is inside another's.
  const app = `f${t.strategy.slice(0, 2)}${t.seed}${Math.floor(random() * 26 ** 3)
    .toString(26)
    .padStart(3, '0')
    .replace(/[0-9]/g, (d) => 'qrstuvwxyz'[Number(d)]!)}`;
  const tgName = `${app}-tg`;
  const cluster = `${app}-fz`;
  const [v000, v001] = [`${cluster}-v000`, `${cluster}-v001`];
  const destroyLatest = random() < 0.5;
  const killMode = random() < 0.6 ? 'afterAct' : 'beforeAct';
  const gated = t.outcome === 'approvedAtGate' || t.outcome === 'rollbackAtGate' || t.outcome === 'cancelAtGate';
  // A gated deploy makes about 20 calls before its gate (where it may be killed as well).
  const killAt = [2 + Math.floor(random() * ((gated ? GATE_CALLS : CALLS[t.strategy]) - 1))];
  const killAtGate = random() < 0.5;

  const tg = await aws().elbv2.send(
    new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }),
  );
  const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
  const first = await env.run([{ createServerGroup: description(app, tgName, {}) }]);
  if (first.task.status.failed)
    return { problems: [`the source did not deploy: ${JSON.stringify(first.task.resultObjects)}`], summary: '' };
  const snapshot = (await groupsNamed([v000])).get(v000)!;

  const healthFails = t.outcome === 'healthNeverUp' || t.outcome === 'cancelInHealthWait';
  const fields: Record<string, unknown> = {
    strategy: t.strategy,
    rollback: { onFailure: true, destroyLatest },
    ...(t.strategy === 'rollingredblack' ? { targetPercentages: [50] } : {}),
    ...(gated ? { gates: [{ at: 'beforeCutover', kind: 'approval', timeout: '30m' }] } : {}),
    // No classic load balancer is attached, so no instance is ever up by this provider.
    ...(healthFails
      ? { interestingHealthProviderNames: ['LoadBalancer'], waitTimeoutSeconds: t.outcome === 'healthNeverUp' ? 8 : 1800 }
      : {}),
  };
  const tap: Tap = newTap(app, t.seed, { faultRate: FAULT_RATE, killAtCalls: new Set(killAt), killMode });
  proxy.tap(tap);
  const started = Date.now();
  let task: TaskJson;
  try {
    const res = await post(`${env.facadeUrl}/aws/ops?clientRequestId=${app}`, [{ deployWithStrategy: description(app, tgName, fields) }]);
    if (res.status !== 200) return { problems: [`POST answered ${res.status}: ${JSON.stringify(res.body)}`], summary: '' };
    const id = (res.body as { id: string }).id;
    if (gated || t.outcome === 'cancelInHealthWait') {
      const waiting = await waitForLine(env.facadeUrl, id, gated ? /^Waiting for approval/ : /^Waiting for \d+ of \d+ instances/, 600_000);
      if (!waiting.status.completed) {
        // Half the gated trials lose their worker while the gate waits, too.
        if (killAtGate) await stack().worker.killAndRestart();
        const action = t.outcome === 'approvedAtGate' ? 'approve' : t.outcome === 'rollbackAtGate' ? 'rollback' : 'cancel';
        await actOn(env.facadeUrl, id, action, 300_000);
      }
    }
    task = await pollTask(env.facadeUrl, id, 900_000);
  } finally {
    proxy.untap(tap);
  }
  const tookS = Math.round((Date.now() - started) / 1000);

  // Judge from AWS's own state.
  const problems: string[] = [];
  const shouldSucceed = t.outcome === 'succeeds' || t.outcome === 'approvedAtGate';
  const exception = task.resultObjects.find((o) => o.type === 'EXCEPTION') as { message?: string } | undefined;
  if (task.status.failed === shouldSucceed)
    problems.push(
      `task ${shouldSucceed ? 'failed' : 'succeeded'}, should have ${shouldSucceed ? 'succeeded' : 'rolled back'}: ${exception?.message ?? ''}`,
    );

  const names = [0, 1, 2, 3].map((n) => `${cluster}-v00${n}`);
  const groups = await groupsNamed(names);
  // What the outcome leaves: in traffic or not; absent = destroyed.
  const want = new Map<string, boolean>();
  if (shouldSucceed) {
    if (t.strategy !== 'highlander') want.set(v000, t.strategy === 'none');
    want.set(v001, true);
  } else {
    want.set(v000, true);
    if (!destroyLatest) want.set(v001, false);
  }
  for (const n of names) {
    const g = groups.get(n);
    if (want.has(n) && !g) problems.push(`${n} is missing`);
    if (!want.has(n) && g) problems.push(`${n} should not exist (it is ${inTraffic(g) ? 'in' : 'out of'} traffic)`);
  }
  for (const [name, n] of proxy.created) {
    if (!name.startsWith(`${cluster}-`)) continue;
    if (n > 1) problems.push(`AWS created ${name} ${n} times`);
    if (name !== v000 && name !== v001) problems.push(`an extra group ${name} was created`);
  }

  const registered = new Set(
    ((await aws().elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? []).map(
      (d) => d.Target?.Id,
    ),
  );
  for (const [name, shouldServe] of want) {
    const g = groups.get(name);
    if (!g) continue;
    if (inTraffic(g) !== shouldServe)
      problems.push(`${name} is ${inTraffic(g) ? 'in' : 'out of'} traffic, should be ${shouldServe ? 'in' : 'out'}`);
    // moto registers every instance of a group with its target groups again on each capacity
    // update, AddToLoadBalancer suspended or not (AWS does not): after rollingredblack's unpin
    // the source's instances are back in moto's target group, so there only the processes tell.
    if (!shouldServe && t.strategy === 'rollingredblack' && name === v000) continue;
    const live = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
    const wrong = live.filter((i) => registered.has(i) !== shouldServe);
    if (wrong.length)
      problems.push(`${name}: instances ${wrong.join(', ')} ${shouldServe ? 'not registered' : 'still registered'} in ${tgName}`);
  }

  for (const g of groups.values()) {
    if ((g.Tags ?? []).some((x) => x.Key === PIN_TAG)) problems.push(`${g.AutoScalingGroupName} still carries the pin tag`);
  }
  const source = groups.get(v000);
  if (source) {
    if (shouldSucceed && source.MinSize! > snapshot.MinSize!)
      problems.push(`pinned minimum leaked: ${v000} at ${capacityOf(source)}, its snapshot ${capacityOf(snapshot)}`);
    if (!shouldSucceed && capacityOf(source) !== capacityOf(snapshot))
      problems.push(`${v000} at ${capacityOf(source)} after the rollback, its snapshot ${capacityOf(snapshot)}`);
  }
  const fresh = groups.get(v001);
  if (shouldSucceed && fresh && capacityOf(fresh) !== `${CAPACITY.min}/${CAPACITY.desired}/${CAPACITY.max}`)
    problems.push(`${v001} at ${capacityOf(fresh)}`);

  let redundantSuspends = 0;
  for (const name of names) {
    const changes = proxy.trafficChanges.filter((c) => c.group === name);
    const disables = changes.filter((c) => c.action === 'SuspendProcesses' && c.enabledBefore).length;
    redundantSuspends += changes.filter((c) => c.action === 'SuspendProcesses' && !c.enabledBefore).length;
    if (disables > 1) problems.push(`${name} was disabled ${disables} times`);
  }

  if (tap.kills.length === 0)
    problems.push(`the worker was never killed: the trial made ${tap.calls} calls, the kills were planned at calls ${killAt.join(', ')}`);
  const faults = Object.entries(tap.faults)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const kill = tap.kills.map((k) => `at call ${k.call} (${k.action}, ${k.mode})`).join('; ');
  const summary =
    `${t.title}: ${tookS} s, ${tap.calls} AWS calls, killed ${kill || 'never'}${killAtGate && gated ? ' and at the gate' : ''}; ` +
    `faults: ${faults || 'none'}; ${redundantSuspends} redundant suspends; destroyLatest ${destroyLatest}; ` +
    `${task.status.failed ? `failed (${(exception?.message ?? '').slice(0, 120)})` : 'succeeded'}`;
  return { problems, summary };
}

beforeAll(async () => {
  const clients = aws();
  ({ name: amiName } = await emulatorAl2023Image(clients.ec2));
  vpcId = (await clients.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
  const t0 = Date.now();
  // Every trial at once: one worker serves them all, so each kill also hits the others mid-step.
  const settled = await Promise.allSettled(CHOSEN.map((t) => runTrial(t)));
  settled.forEach((s, i) =>
    results.set(
      CHOSEN[i]!.title,
      s.status === 'fulfilled' ? s.value : { problems: [`the trial threw: ${(s.reason as Error).stack ?? String(s.reason)}`], summary: '' },
    ),
  );
  const w = stack().worker;
  process.stdout.write(
    `\nstrategy fuzz: ${CHOSEN.length} trials in ${Math.round((Date.now() - t0) / 1000)} s, ${w.kills} worker kills ` +
      `(restarts took ${w.restartMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s); logs in ${stack().logDir}\n` +
      `${[...results.values()].map((r) => `  ${r.summary}`).join('\n')}\n`,
  );
}, 1_200_000);

describe.each(CHOSEN.map((t) => [t.title, t] as const))('%s', (title) => {
  test('no pin left, exactly the groups the outcome leaves, traffic where it belongs, no group disabled twice', () => {
    expect(results.get(title)?.problems).toEqual([]);
  });
});
