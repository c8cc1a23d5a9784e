/**
 * A prebuilt workflow bundle (what `BOSUN_WORKFLOW_BUNDLE` points a worker at): bundling takes
 * seconds and hundreds of MiB, so test runs, benchmarks and deployments build it once and every
 * worker loads the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH } from './create-worker';

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
  return (await bundleWorkflows(file)).file;
}

/** The written bundle and every file webpack read to build it (workflow code and the SDK's own). */
export interface BuiltWorkflowBundle {
  readonly file: string;
  readonly sources: readonly string[];
}

type WebpackConfiguration = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type WebpackPlugin = NonNullable<WebpackConfiguration['plugins']>[number];

/**
 * Bundles `workflows/` into `file` and answers the files the bundle was built from, as webpack
 * recorded them: exactly what a cached bundle must be checked against, however workflow code's
 * imports change (a new import is always a change to a file already on the list).
 */
export async function bundleWorkflows(file: string): Promise<BuiltWorkflowBundle> {
  const sources = new Set<string>();
  const recordSources = {
    apply(compiler) {
      compiler.hooks.done.tap('bosun-bundle-sources', (stats) => {
        for (const f of stats.compilation.fileDependencies) sources.add(f);
      });
    },
  } satisfies WebpackPlugin;
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    logger: bundlerLogger,
    webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), recordSources] }),
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return { file, sources: [...sources].sort() };
}
