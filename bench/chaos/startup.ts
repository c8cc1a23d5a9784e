/**
 * How long a Bosun child takes to be useful, per launcher: the worker until it polls, the facade
 * until `/health` answers. Decides how the chaos run starts its children (and how long a
 * restarted worker leaves work waiting).
 */
import path from 'node:path';
import type { Launcher } from '../../test/support/child-process';
import { spawnTs, waitForHttp } from '../../test/support/child-process';
import { freePort } from '../../infra/stack';

export interface StartupSample {
  readonly launcher: Launcher;
  readonly process: 'worker' | 'facade';
  readonly ms: number;
}

export async function measureStartup(input: {
  temporalAddress: string;
  workflowBundle: string;
  stateDir: string;
  flagFile: string;
  rounds: number;
}): Promise<StartupSample[]> {
  const samples: StartupSample[] = [];
  const env = {
    TEMPORAL_ADDRESS: input.temporalAddress,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    BOSUN_AWS: 'emulator',
    BOSUN_TASK_QUEUE: 'chaos-startup-probe',
    BOSUN_STATE_DIR: input.stateDir,
    BOSUN_FLAG_FILE: input.flagFile,
    BOSUN_WORKFLOW_BUNDLE: input.workflowBundle,
  };
  for (let round = 0; round < Math.min(input.rounds, 10); round++) {
    for (const launcher of ['node-require-tsx', 'npx-tsx'] as const) {
      const started = Date.now();
      const worker = spawnTs({
        name: `probe-worker-${launcher}`,
        script: 'worker/main.ts',
        env,
        logFile: path.join(input.stateDir, 'logs', 'startup.log'),
        launcher,
      });
      try {
        await worker.waitForOutput('worker polling', 60_000);
        samples.push({ launcher, process: 'worker', ms: Date.now() - started });
      } finally {
        await worker.stop(5000);
      }
      const port = await freePort();
      const t0 = Date.now();
      const facade = spawnTs({
        name: `probe-facade-${launcher}`,
        script: 'client/facade/main.ts',
        env: { ...env, BOSUN_FACADE_PORT: String(port) },
        logFile: path.join(input.stateDir, 'logs', 'startup.log'),
        launcher,
      });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/health`, 60_000, facade);
        samples.push({ launcher, process: 'facade', ms: Date.now() - t0 });
      } finally {
        await facade.stop(5000);
      }
    }
  }
  return samples;
}

/** Median per launcher and process, for the report. */
export function summariseStartup(samples: readonly StartupSample[]): Record<string, { worker: number; facade: number; rounds: number }> {
  const out: Record<string, { worker: number; facade: number; rounds: number }> = {};
  for (const launcher of ['node-require-tsx', 'npx-tsx'] as const) {
    const of = (p: 'worker' | 'facade') => median(samples.filter((s) => s.launcher === launcher && s.process === p).map((s) => s.ms));
    out[launcher] = {
      worker: of('worker'),
      facade: of('facade'),
      rounds: samples.filter((s) => s.launcher === launcher && s.process === 'worker').length,
    };
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
