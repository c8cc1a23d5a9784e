/**
 * The baseline as a system under test: one child process (`baseline-server.ts`) that is both
 * the HTTP front and the executor, as one legacy Clouddriver instance is. A worker kill and a
 * facade restart both restart that process; either way its in-memory tasks are gone.
 */
import path from 'node:path';
import type { SystemUnderTest } from '../../test/support/bosun-system';
import type { TsChild } from '../../test/support/child-process';
import { spawnTs, waitForHttp } from '../../test/support/child-process';

export interface BaselineSystemOptions {
  readonly awsEndpoint: string;
  readonly port: number;
  readonly accounts: string;
  readonly pollIntervalMs: number;
  readonly logDir: string;
  readonly startTimeoutMs?: number;
}

export async function startBaselineSystem(opts: BaselineSystemOptions): Promise<SystemUnderTest> {
  const unexpectedExits: string[] = [];
  const intentional = new Set<number>();
  let stopping = false;
  let generation = 0;
  let current: TsChild;

  async function start(): Promise<void> {
    generation++;
    const child = spawnTs({
      name: `baseline-${generation}`,
      script: 'bench/chaos/baseline-server.ts',
      env: {
        BASELINE_PORT: String(opts.port),
        AWS_ENDPOINT_URL: opts.awsEndpoint,
        BASELINE_ACCOUNTS: opts.accounts,
        BASELINE_POLL_INTERVAL_MS: String(opts.pollIntervalMs),
      },
      logFile: path.join(opts.logDir, 'baseline.log'),
    });
    current = child;
    await waitForHttp(`http://127.0.0.1:${opts.port}/health`, opts.startTimeoutMs ?? 60_000, child);
    void child.exited.then(async (e) => {
      if (stopping || intentional.has(child.pid) || current !== child) return;
      unexpectedExits.push(`${child.name} pid ${child.pid} exited on its own (code ${e.code}, signal ${e.signal})`);
      if (unexpectedExits.length <= 20)
        await start().catch((err: unknown) => unexpectedExits.push(`restart failed: ${(err as Error).message}`));
    });
  }

  await start();
  return {
    name: 'baseline',
    url: `http://127.0.0.1:${opts.port}`,
    unexpectedExits,
    async killWorker() {
      const victim = current;
      intentional.add(victim.pid);
      await victim.kill();
      await start();
    },
    async restartFacade() {
      const victim = current;
      intentional.add(victim.pid);
      await victim.stop(5000);
      await start();
    },
    async stop() {
      stopping = true;
      await current.stop(5000);
    },
  };
}
