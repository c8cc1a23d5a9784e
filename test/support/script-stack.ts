/**
 * The test stack for scripts that run outside jest (recording histories, measuring them): the
 * same dev server, moto and workflow bundle as test/global-setup.ts, handed to the harness
 * through the same environment variables, and stopped again by the script.
 */
import { writeWorkflowBundle } from '../../worker/workflow-bundle';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MotoServer, TemporalDevServer } from '../../infra/stack';
import { freePort, startMoto, startTemporalDevServer } from '../../infra/stack';

export interface ScriptStack {
  readonly temporal: TemporalDevServer;
  readonly moto: MotoServer;
  readonly bundlePath: string;
  stop(): Promise<void>;
}

export async function startScriptStack(): Promise<ScriptStack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-script-'));
  const [temporal, moto] = await Promise.all([
    freePort().then((port) =>
      startTemporalDevServer({ port, headless: true, logFile: path.join(dir, 'temporal.log'), readyTimeoutMs: 120_000 }),
    ),
    freePort().then((port) => startMoto({ port, logFile: path.join(dir, 'moto.log'), readyTimeoutMs: 60_000 })),
  ]);
  const bundlePath = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
  process.env.BOSUN_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.BOSUN_TEST_AWS_ENDPOINT = moto.endpoint;
  process.env.BOSUN_TEST_WORKFLOW_BUNDLE = bundlePath;
  return { temporal, moto, bundlePath, stop: async () => void (await Promise.all([temporal.stop(), moto.stop()])) };
}
