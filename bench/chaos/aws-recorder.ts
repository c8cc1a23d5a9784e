/**
 * A pass-through between the fault proxy and moto that writes down every resource creation AWS
 * really performed (so a group or launch template made twice for one deploy is seen even when
 * a later destroy removed it), and, with a seeded probability, loses the answer after AWS has
 * acted: the socket is closed instead of relaying the response. That is the fault the fault
 * proxy does not make (it resets only before forwarding), and the one that turns a retry without
 * idempotency into a duplicate. It also writes down, per Auto Scaling group, every disable and
 * enable AWS performed (a SuspendProcesses / ResumeProcesses that carries AddToLoadBalancer, the
 * process of Clouddriver's disable set that marks a group out of traffic), so a group disabled
 * twice is seen whatever the client was told.
 */
import { forward, seededRandom, startLoopbackServer } from '../../test/support/fault-proxy';

export interface Creation {
  readonly action: 'CreateAutoScalingGroup' | 'CreateLaunchTemplate' | 'RunInstances';
  readonly name: string;
  readonly atMs: number;
}

/** A disable or enable of a group as AWS performed it, in the order AWS answered. */
export interface TrafficChange {
  readonly group: string;
  readonly change: 'disable' | 'enable';
}

export interface AwsRecorder {
  readonly url: string;
  readonly creations: readonly Creation[];
  readonly trafficChanges: readonly TrafficChange[];
  /** Answers dropped after AWS acted, by action. */
  readonly lostAnswers: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

const RECORDED = new Set(['CreateAutoScalingGroup', 'CreateLaunchTemplate', 'RunInstances']);
const MUTATING = /^(Create|Delete|Update|Set|Suspend|Resume|Register|Deregister|Terminate|Modify|Put|Run)/;

export async function startAwsRecorder(opts: { target: string; lostAnswerRate: number; seed: number }): Promise<AwsRecorder> {
  const target = new URL(opts.target);
  const random = seededRandom(opts.seed ^ 0x1057);
  const creations: Creation[] = [];
  const trafficChanges: TrafficChange[] = [];
  const lostAnswers: Record<string, number> = {};

  const server = await startLoopbackServer((req, res) => {
    const draw = random();
    return (body) => {
      const form = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : '');
      const action = form.get('Action') ?? '';
      forward(target, req, body, (answer) => {
        const status = answer.statusCode ?? 502;
        if (status === 200 && RECORDED.has(action)) {
          const name =
            form.get('AutoScalingGroupName') ?? form.get('LaunchTemplateName') ?? form.get('TagSpecification.1.Tag.1.Value') ?? '';
          creations.push({ action: action as Creation['action'], name, atMs: Date.now() });
        }
        const change = action === 'SuspendProcesses' ? 'disable' : action === 'ResumeProcesses' ? 'enable' : undefined;
        if (status === 200 && change && [...form].some(([k, v]) => k.startsWith('ScalingProcesses.member.') && v === 'AddToLoadBalancer')) {
          trafficChanges.push({ group: form.get('AutoScalingGroupName') ?? '', change });
        }
        // Only calls that change something (moto's own API has no Action): losing a describe's answer is just a reset.
        if (status === 200 && draw < opts.lostAnswerRate && MUTATING.test(action)) {
          lostAnswers[action] = (lostAnswers[action] ?? 0) + 1;
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(status, answer.headers);
        answer.pipe(res);
      });
    };
  });
  return {
    ...server,
    creations,
    trafficChanges,
    lostAnswers,
  };
}

export interface DisableCounts {
  /** Disables AWS performed (SuspendProcesses carrying AddToLoadBalancer). */
  readonly disables: number;
  /** Groups disabled again with no enable in between (a retried disable, say), and those extra disables. */
  readonly disabledTwice: { readonly groups: number; readonly disables: number };
  /** Groups disabled more often than the posted operations call for, and the disables beyond it. */
  readonly beyondPlan: { readonly groups: number; readonly disables: number };
  /** Per group counted above: its disables and enables in order, and what the plan called for. */
  readonly groups: readonly { readonly group: string; readonly changes: string; readonly planned: number }[];
}

/**
 * Counts, for the groups whose name starts with `prefix`, the disables AWS saw twice in a row and
 * those beyond `planned` (per group, the disables the posted operations call for). A second
 * disable is harmless to the group (Clouddriver's disable is idempotent: the processes are
 * already suspended, the instances already deregistered) but is a call the plan did not make.
 */
export function countDisables(changes: readonly TrafficChange[], planned: ReadonlyMap<string, number>, prefix: string): DisableCounts {
  const byGroup = new Map<string, TrafficChange['change'][]>();
  for (const c of changes) if (c.group.startsWith(prefix)) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c.change]);
  let disables = 0;
  const twice = { groups: 0, disables: 0 };
  const beyond = { groups: 0, disables: 0 };
  const groups: DisableCounts['groups'][number][] = [];
  for (const [group, list] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
    const n = list.filter((c) => c === 'disable').length;
    const again = list.filter((c, i) => c === 'disable' && list[i - 1] === 'disable').length;
    const over = Math.max(0, n - (planned.get(group) ?? 0));
    disables += n;
    if (again) twice.groups++;
    twice.disables += again;
    if (over) beyond.groups++;
    beyond.disables += over;
    if (again || over) groups.push({ group, changes: list.join(', '), planned: planned.get(group) ?? 0 });
  }
  return { disables, disabledTwice: twice, beyondPlan: beyond, groups };
}

/** The report's cell: groups disabled twice / beyond the plan, of how many disables AWS performed. */
export function disabledTwice(d: DisableCounts): string {
  return `${d.disabledTwice.groups} / ${d.beyondPlan.groups} (of ${d.disables} disables)`;
}
