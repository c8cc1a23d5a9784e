/**
 * Facade POST latency of two builds of the facade in ONE run, so a busy machine weighs on both
 * alike: this checkout's facade and the one in another checkout (e.g. main's HEAD, extracted with
 * `git archive`), side by side on the same client and the same Temporal dev server, measured in
 * alternating rounds of the same resize POST at the same concurrency.
 *
 *   mkdir /tmp/base && git archive <commit> | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npx tsx bench/facade-ab.ts --other /tmp/base [--rounds 6] [--count 60] [--concurrency 1,8] [--temporal-db memory|file]
 *
 * With `--temporal-db memory` (the default) Temporal's SQLite fsyncs do not drown the facade's
 * own cost in noise; `file` measures what a durable dev server adds on top.
 * Both facades run in this process (no worker: every task stays RUNNING), with a silent logger
 * that still formats each line, as production does. Prints p50/p90 per build and concurrency,
 * each the median over rounds, and the ratio this/other.
 */
import path from 'node:path';
import { createLogger } from '../runtime';
import { createFacade } from '../client/facade/server';
import { defaultTaskSettings } from '../domain/task-input';
import { FacadeHttp } from './lib/http';
import { runClosedLoop } from './lib/load';
import { ACCOUNT, REGION, startBenchStack } from './lib/stack';
import { median, percentile } from './lib/stats';

interface FacadeLike {
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}
type CreateFacade = (opts: Record<string, unknown>) => FacadeLike;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const OPERATIONS = [
  {
    resizeServerGroup: {
      credentials: ACCOUNT,
      region: REGION,
      serverGroupName: 'benchapp-main-v001',
      capacity: { min: 1, max: 2, desired: 1 },
    },
  },
];

async function main(): Promise<void> {
  const other = path.resolve(arg('other', ''));
  if (!arg('other', '')) throw new Error('--other <checkout> is required');
  const rounds = Number(arg('rounds', '6'));
  const count = Number(arg('count', '60'));
  const levels = arg('concurrency', '1,8').split(',').map(Number);

  const db = arg('temporal-db', 'memory') === 'file' ? 'file' : 'memory';
  const stack = await startBenchStack({ dir: path.join('.state', 'bench', `facade-ab-${db}`), temporalDb: db, moto: false, worker: false });
  try {
    const otherModule = (await import(path.join(other, 'client/facade/server.ts'))) as { createFacade: CreateFacade };
    const common = {
      client: stack.client,
      taskQueue: stack.taskQueue,
      settings: defaultTaskSettings,
      logger: createLogger('info', {}, () => undefined),
    };
    const builds: Record<string, FacadeLike> = {
      other: otherModule.createFacade(common),
      this: createFacade(common),
    };
    const clients: Record<string, FacadeHttp> = {};
    for (const [name, facade] of Object.entries(builds))
      clients[name] = new FacadeHttp(await facade.listen(0, '127.0.0.1'), Math.max(...levels));
    // Warm both (JIT, connections, Temporal's caches) before anything counts.
    for (const c of Object.values(clients)) await runClosedLoop(count, 8, () => c.submit(OPERATIONS));

    const results: Record<string, Record<number, { p50: number[]; p90: number[] }>> = { other: {}, this: {} };
    for (let round = 0; round < rounds; round++) {
      for (const level of levels) {
        // Alternate which build goes first, so neither always meets the machine in the same state.
        const order = round % 2 === 0 ? ['other', 'this'] : ['this', 'other'];
        for (const name of order) {
          const load = await runClosedLoop(count, level, () => clients[name]!.submit(OPERATIONS));
          if (load.errors) throw new Error(`${name}: ${load.errors} errors, first: ${load.firstError}`);
          const sorted = [...load.latenciesMs].sort((a, b) => a - b);
          const r = (results[name]![level] ??= { p50: [], p90: [] });
          r.p50.push(percentile(sorted, 50));
          r.p90.push(percentile(sorted, 90));
        }
      }
      process.stderr.write(`round ${round + 1}/${rounds} done\n`);
    }
    const rows = levels.map((level) => {
      const o = results.other![level]!;
      const t = results.this![level]!;
      return {
        'in flight': level,
        'other p50 ms': +median(o.p50).toFixed(2),
        'this p50 ms': +median(t.p50).toFixed(2),
        'p50 this/other': +(median(t.p50) / median(o.p50)).toFixed(3),
        'other p90 ms': +median(o.p90).toFixed(2),
        'this p90 ms': +median(t.p90).toFixed(2),
        'p90 this/other': +(median(t.p90) / median(o.p90)).toFixed(3),
      };
    });
    console.table(rows);
    for (const c of Object.values(clients)) c.close();
    for (const f of Object.values(builds)) await f.close();
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`facade-ab: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
