/** Closed-loop load: `count` calls with at most `concurrency` in flight, each one timed. */

export interface LoadResult {
  readonly latenciesMs: readonly number[];
  readonly wallMs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

export async function runClosedLoop(count: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        await call(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message ?? String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { latenciesMs: latencies, wallMs: performance.now() - started, errors, firstError };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
