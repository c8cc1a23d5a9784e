/**
 * A prebuilt workflow bundle (what `BOSUN_WORKFLOW_BUNDLE` points a worker at): bundling takes
 * seconds and hundreds of MiB, so test runs, benchmarks and deployments build it once and every
 * worker loads the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './create-worker';

/** The bundler's own chatter dropped; its warnings and errors still reach stderr. */
const bundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => process.stderr.write(`bundler: ${m}\n`),
  error: (m: string) => process.stderr.write(`bundler: ${m}\n`),
};

/** Bundles `workflows/` into `file` (creating its folder) and answers the file's path. */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: bundlerLogger });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return file;
}
