/**
 * Reads the dev server's own Prometheus metrics before and after a measured window: how many
 * persistence (SQLite) calls it made and how long they took in total, per operation. A
 * persistence time close to the window's wall time means Temporal's SQLite is the queue.
 */
import { round } from '../../test/support/child-process';
import { sum } from './stats';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

type Totals = Map<string, { seconds: number; count: number }>;

function persistenceTotals(samples: readonly Sample[], prefix: string): Totals {
  const totals: Totals = new Map();
  for (const s of samples) {
    const kind = s.name === `${prefix}_sum` ? 'seconds' : s.name === `${prefix}_count` ? 'count' : undefined;
    if (!kind) continue;
    const op = s.labels.operation ?? 'unknown';
    const t = totals.get(op) ?? { seconds: 0, count: 0 };
    t[kind] += s.value;
    totals.set(op, t);
  }
  return totals;
}

export interface PersistenceUse {
  readonly calls: number;
  readonly callsPerSecond: number;
  /** Sum of persistence call latencies: time some SQLite call was in progress, summed over callers. */
  readonly busySeconds: number;
  readonly busyPercentOfWall: number;
  readonly meanMs: number;
  readonly top: readonly { readonly operation: string; readonly calls: number; readonly seconds: number; readonly meanMs: number }[];
  readonly visibilityCalls: number;
  readonly visibilitySeconds: number;
  /** Calls per persistence operation (all of them, not only the top ones). */
  readonly callsByOperation: Readonly<Record<string, number>>;
}

export class TemporalMetricsWindow {
  private constructor(
    private readonly url: string,
    private readonly before: readonly Sample[],
    private readonly startedAt: number,
  ) {}

  static async start(url: string): Promise<TemporalMetricsWindow> {
    return new TemporalMetricsWindow(url, await scrape(url), performance.now());
  }

  async stop(): Promise<PersistenceUse | undefined> {
    const wall = (performance.now() - this.startedAt) / 1000;
    let after: Sample[];
    try {
      after = await scrape(this.url);
    } catch {
      return undefined;
    }
    const diff = (prefix: string) => {
      const a = persistenceTotals(after, prefix);
      const b = persistenceTotals(this.before, prefix);
      return [...a].map(([operation, t]) => ({
        operation,
        calls: t.count - (b.get(operation)?.count ?? 0),
        seconds: t.seconds - (b.get(operation)?.seconds ?? 0),
      }));
    };
    const ops = diff('persistence_latency').filter((o) => o.calls > 0);
    const vis = diff('visibility_persistence_latency');
    const calls = sum(ops.map((o) => o.calls));
    const seconds = sum(ops.map((o) => o.seconds));
    return {
      calls,
      callsPerSecond: round(calls / wall),
      busySeconds: round(seconds, 2),
      busyPercentOfWall: round((seconds / wall) * 100),
      meanMs: round(calls ? (seconds / calls) * 1000 : 0, 2),
      top: ops
        .sort((x, y) => y.seconds - x.seconds)
        .slice(0, 8)
        .map((o) => ({
          operation: o.operation,
          calls: o.calls,
          seconds: round(o.seconds, 2),
          meanMs: round((o.seconds / o.calls) * 1000, 2),
        })),
      callsByOperation: Object.fromEntries(ops.map((o) => [o.operation, o.calls])),
      visibilityCalls: sum(vis.map((o) => o.calls)),
      visibilitySeconds: round(sum(vis.map((o) => o.seconds)), 2),
    };
  }
}

/** How many calls of one persistence operation the server has made since it started. */
export async function persistenceCalls(url: string, operation: string): Promise<number> {
  return persistenceTotals(await scrape(url), 'persistence_latency').get(operation)?.count ?? 0;
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return parse(await res.text());
}
