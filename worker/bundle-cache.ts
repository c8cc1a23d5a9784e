/**
 * The workflow bundle of a worker that was given none (`npm start`, `npm run worker` without
 * BOSUN_WORKFLOW_BUNDLE): built by a child process into `<stateDir>/workflow-bundle/` and reused
 * while every file it was built from is unchanged. Bundling in the worker's own process leaves
 * webpack's heap and caches in it for good (about 200 MiB of RSS that never goes back to the
 * OS), which was most of what `npm start` idled at; in a child, that memory ends with the child.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../runtime';

/** What the child wrote: the bundle's file name (in the same folder) and the files it was built from. */
export const bundleManifestSchema = z.object({
  version: z.literal(1),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  bundle: z.string().regex(/^bundle-[0-9a-f]+\.js$/),
  sources: z.array(z.string().min(1)).min(1),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export const MANIFEST_FILE = 'manifest.json';

/** The bundler child's entry point. */
const BUNDLE_MAIN = path.join(__dirname, 'bundle-main.ts');

/** The SDK packages whose code the bundle holds or whose bundler built it: another version, another bundle. */
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/worker'] as const;

/**
 * The cache key of a bundle built from `sources`: their paths and contents plus the SDK's
 * versions; undefined when one of them is gone (then the bundle cannot be current).
 */
export function bundleKey(sources: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  for (const pkg of SDK_PACKAGES) {
    const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version?: unknown };
    hash.update(`${pkg}@${String(version)}\0`);
  }
  for (const file of sources) {
    if (!existsSync(file)) return undefined;
    hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** The folder under the state folder where `npm start` and `npm run worker` keep their bundle. */
export function bundleDir(stateDir: string): string {
  return path.join(stateDir, 'workflow-bundle');
}

/** The cached bundle's path if it is current, else undefined. */
export function currentBundle(dir: string): string | undefined {
  let manifest: BundleManifest;
  try {
    manifest = bundleManifestSchema.parse(JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')));
  } catch {
    return undefined;
  }
  const file = path.join(dir, manifest.bundle);
  return existsSync(file) && bundleKey(manifest.sources) === manifest.key ? file : undefined;
}

/**
 * The path of a current workflow bundle in `<stateDir>/workflow-bundle/`: the cached one when
 * nothing it was built from changed (a few ms of hashing), else one a child process builds now
 * (a few seconds).
 */
export async function cachedWorkflowBundle(opts: { readonly stateDir: string; readonly logger: Logger }): Promise<string> {
  const dir = bundleDir(opts.stateDir);
  const cached = currentBundle(dir);
  if (cached) {
    opts.logger.debug({ bundle: cached }, 'workflow bundle unchanged, reusing it');
    return cached;
  }
  const started = Date.now();
  await runBundler(dir);
  const built = currentBundle(dir);
  if (!built) throw new Error(`the workflow bundler finished but ${path.join(dir, MANIFEST_FILE)} names no current bundle`);
  opts.logger.info({ bundle: built, ms: Date.now() - started }, 'workflow bundle built in a child process');
  return built;
}

function runBundler(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BUNDLE_MAIN, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      // The end of what it said is what explains a failure.
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.once('error', (err) => reject(new Error(`could not start the workflow bundler: ${err.message}`, { cause: err })));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `the workflow bundler (pid ${child.pid}) exited with ${signal ?? `code ${code}`} while bundling into ${dir} ` +
              `(set BOSUN_WORKFLOW_BUNDLE to a prebuilt bundle to skip it):\n${stderr.trim()}`,
          ),
        );
    });
  });
}
