/**
 * Tracing overhead: the facade's POST and a resize end to end with tracing on and off, side by
 * side in one run on one Temporal dev server and one moto, in pairs (the same request once per
 * mode, back to back, alternating which goes first) so a busy machine weighs on both alike.
 *  - off: a client without the tracing interceptor, a facade without the request hooks, a worker
 *    without the activity interceptors (the bundle's workflow interceptors see no trace header
 *    and step aside, the AWS middleware sees no span and passes through): what a process with no
 *    OTEL_* variables runs.
 *  - on: the same parts with runtime/tracing.ts's, exporting through the real batch processor
 *    and OTLP/HTTP protobuf exporter to an OTLP receiver in this process (it reads and counts
 *    each request, as a collector's front would).
 * Both pairs live in this process (the global tracer provider is on for both; the off parts
 * never start a span). POST latency is measured on task queues no worker polls (tasks stay
 * RUNNING: the facade, the start and the export only); the resize end to end (POST, then the
 * workflow's result) on task queues with their own in-process worker.
 *
 *   npm run bench -- --only tracing [--quick]
 */
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Client } from '@temporalio/client';
import type { TaskSettings } from '../domain/task-input';
import { defaultTaskSettings } from '../domain/task-input';
import type { Tracing } from '../runtime';
import { startTracing, TRACING_OFF } from '../runtime';
import { startLoopbackServer } from '../test/support/fault-proxy';
import { makeServerGroup } from '../test/support/server-group';
import { FacadeHttp } from '../test/support/orca-client';
import { round } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult, Cell } from './lib/report';
import { atMost, requireMeasured, resultOf } from './lib/report';
import { ACCOUNT, REGION, startServers, startStack } from '../test/support/stack';
import { median, percentile } from './lib/stats';
import { UsageWindow } from './lib/usage';

const MODES = ['off', 'on'] as const;
type Mode = (typeof MODES)[number];

/** Fast polls, as in the tests: the end-to-end time is Bosun's, not a 10-second poll interval's. */
const SETTINGS: TaskSettings = { ...defaultTaskSettings, awsRetryWindowMs: 60_000, pollIntervalMs: 200 };

interface Side {
  readonly post: FacadeHttp;
  readonly e2e: FacadeHttp;
  readonly client: Client;
  readonly group: string;
}

/** An OTLP/HTTP receiver on loopback that reads each export and answers 200 (an empty ExportTraceServiceResponse). */
async function startOtlpReceiver(): Promise<{ url: string; requests: () => number; bytes: () => number; close(): Promise<void> }> {
  let requests = 0;
  let bytes = 0;
  const server = await startLoopbackServer((_req, res) => (body) => {
    requests++;
    bytes += body.length;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
  return { url: `${server.url}/v1/traces`, requests: () => requests, bytes: () => bytes, close: () => server.close() };
}

const stats = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50), 2), p95: round(percentile(sorted, 95), 2) };
};
const pct = (on: number, off: number): string => `${on >= off ? '+' : ''}${round(((on - off) / off) * 100, 1)}%`;

export async function runTracing(ctx: BenchContext): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const rounds = ctx.quick ? 3 : 8;
  // Many POST pairs: what tracing adds to one is a fraction of a millisecond, under noise of several.
  const postsPerRound = ctx.quick ? 20 : 150;
  const resizesPerRound = ctx.quick ? 4 : 10;

  // One Temporal and one moto; each mode gets its own worker and facades on them.
  const dir = path.join(ctx.runDir, 'tracing');
  const servers = await startServers({ dir, dbFile: path.join(dir, 'temporal.sqlite'), bundle: true });
  const receiver = await startOtlpReceiver();
  const closers: (() => Promise<void>)[] = [() => servers.stop(), () => receiver.close()];
  try {
    const tracingOn = await startTracing({
      spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url })),
      serviceName: 'bosun-bench',
    });
    closers.push(() => tracingOn.shutdown());
    const watched = [
      { name: 'temporal dev server', pid: servers.temporal.pid },
      { name: 'moto', pid: servers.moto!.pid },
    ];

    const side = async (mode: Mode): Promise<Side> => {
      const tracing: Tracing = mode === 'on' ? tracingOn : TRACING_OFF;
      // POSTs go to a facade whose queue no worker polls; the resizes to one with its own worker.
      const [postOnly, withWorker] = await Promise.all(
        [false as const, 'in-process' as const].map((worker) =>
          startStack({ servers, settings: SETTINGS, tracing: () => tracing, worker }),
        ),
      );
      const [post, e2e] = [postOnly!, withWorker!].map((stack) => {
        const caller = new FacadeHttp(stack.facadeUrl, 4);
        closers.push(async () => {
          caller.close();
          await stack.close();
        });
        return caller;
      });
      const { name } = await makeServerGroup(
        { aws: withWorker!.aws },
        { prefix: `trace${mode}`, suffix: '-v001', min: 1, max: 2, desired: 1 },
      );
      return { post: post!, e2e: e2e!, client: withWorker!.client, group: name };
    };
    const sides: Record<Mode, Side> = { off: await side('off'), on: await side('on') };

    const resize = (group: string, desired: number) => [
      { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: group, capacity: { min: 1, max: 2, desired } } },
    ];
    const postMs: Record<Mode, number[]> = { off: [], on: [] };
    const e2eMs: Record<Mode, number[]> = { off: [], on: [] };
    const flips: Record<Mode, number> = { off: 0, on: 0 };
    // Pairs: each POST (and each resize) is made once per mode back to back, the mode that goes
    // first alternating, so a burst of load from another process weighs on both alike.
    const pairs = (i: number): readonly Mode[] => (i % 2 ? MODES : [...MODES].reverse());
    const measureRound = async (r: number, warm: boolean) => {
      for (let i = 0; i < postsPerRound; i++)
        for (const mode of pairs(i)) {
          const s = sides[mode];
          const { ms } = await s.post.submit(resize(s.group, 1));
          if (!warm) postMs[mode].push(ms);
        }
      for (let i = 0; i < resizesPerRound; i++)
        for (const mode of pairs(i)) {
          const s = sides[mode];
          const t0 = performance.now();
          const { id } = await s.e2e.submit(resize(s.group, (flips[mode]++ % 2) + 1));
          await s.client.workflow.getHandle(id).result();
          if (!warm) e2eMs[mode].push(performance.now() - t0);
        }
      ctx.log(`tracing: round ${r} done`);
    };
    // One warm-up round (JIT, connections, the first export), then the measured rounds.
    await measureRound(0, true);
    const usage = UsageWindow.start(watched);
    for (let r = 1; r <= rounds; r++) await measureRound(r, false);
    const used = usage.stop();
    await tracingOn.shutdown();
    requireMeasured('tracing: POSTs with tracing on', postMs.on.length, rounds * postsPerRound);
    requireMeasured('tracing: spans exported', receiver.requests());

    const rows = (label: string, data: Record<Mode, number[]>): Cell[][] => {
      const off = stats(data.off);
      const on = stats(data.on);
      // The median of the pairs' differences: what tracing adds to one request, whatever the load did meanwhile.
      const paired = median(data.on.map((v, i) => v - data.off[i]!));
      return [
        [
          label,
          off.n,
          off.p50,
          on.p50,
          pct(on.p50, off.p50),
          round(paired, 2),
          pct(off.p50 + paired, off.p50),
          off.p95,
          on.p95,
          pct(on.p95, off.p95),
        ],
      ];
    };
    const postOff = stats(postMs.off).p50;
    const postOn = stats(postMs.on).p50;
    const e2eOff = stats(e2eMs.off).p50;
    const e2eOn = stats(e2eMs.on).p50;
    return envelope.finish({
      name: 'tracing',
      title: 'Tracing overhead: facade POST and resize end to end, tracing on vs off in one run',
      setup: {
        rounds,
        postsPerRound,
        resizesPerRound,
        exporter: 'OTLP/HTTP protobuf, batch processor, in-process receiver',
      },
      tables: [
        {
          title: 'Latency (ms), tracing off vs on',
          headers: [
            'what',
            'n per mode',
            'p50 off',
            'p50 on',
            'p50 Δ',
            'paired Δ p50 (ms)',
            'paired Δ / p50 off',
            'p95 off',
            'p95 on',
            'p95 Δ',
          ],
          rows: [...rows('facade POST /aws/ops (start only)', postMs), ...rows('resize end to end (POST → result)', e2eMs)],
          notes: [
            `${rounds} rounds of ${postsPerRound} POST pairs and ${resizesPerRound} resize pairs (off and on back to back, alternating which goes first), concurrency 1, after a warm-up round`,
            'paired Δ: the median over pairs of (on − off), robust to load that changes between rounds',
            `on: ${receiver.requests()} OTLP export requests, ${round(receiver.bytes() / 1024, 1)} KiB in all`,
            `other processes used ${used.machine.othersPercentOfCore}% of a core on average while measuring`,
          ],
        },
      ],
      bottleneck: [
        `facade POST p50 ${postOff} → ${postOn} ms (${pct(postOn, postOff)}): two spans (the POST, StartWorkflow), a header on the start and their export`,
        `resize end to end p50 ${e2eOff} → ${e2eOn} ms (${pct(e2eOn, e2eOff)}): workflow spans through the sink, activity and AWS call spans`,
      ],
      interferencePercentOfCore: used.machine.othersPercentOfCore,
      data: { postMs, e2eMs, otlp: { requests: receiver.requests(), bytes: receiver.bytes() } },
    });
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/**
 * The tracing overhead goal: what tracing adds to a facade POST, at the pairs' median, within 5% of
 * the POST's p50 (docs/performance.md, "Tracing overhead").
 */
const POST_FLOOR_PERCENT = 5;

/** The median over pairs of (on − off), as a percentage of the p50 with tracing off. */
function pairedPercent(ms: Record<Mode, readonly number[]>): number {
  const diffs = ms.on.map((v, i) => v - (ms.off[i] ?? NaN));
  return Math.round((median(diffs) / median(ms.off)) * 1000) / 10;
}

export const tracingBench: Bench = {
  about: 'tracing on vs off in one run: the facade POST and a resize end to end (OTLP export to an in-process receiver)',
  standard: false,
  floorText:
    'what tracing adds to a POST (median of the on-off pairs) <= 5% of its p50 off (measured +3.3%: +0.17 ms on a 5.1 ms p50); a resize end to end <= 10% (measured +1.9%)',
  run: runTracing,
  floor: (d: Record<'postMs' | 'e2eMs', Record<Mode, readonly number[]>>) => [
    // The POST's cost as a share of its p50, from the pairs (each POST made once per mode back
    // to back): the median of the differences moves far less with other load than either p50.
    atMost('facade POST paired Δ p50 / off p50 (%)', pairedPercent(d.postMs), POST_FLOOR_PERCENT),
    atMost('resize end to end paired Δ p50 / off p50 (%)', pairedPercent(d.e2eMs), 10),
  ],
};
