/**
 * The workflow bundler as a child process (worker/bundle-cache.ts starts it): bundles
 * `workflows/` into the folder it is given, names the bundle by its cache key, writes the
 * manifest last (so a reader sees the old bundle or the complete new one) and removes older
 * bundles. Exits non-zero with the reason on stderr.
 */
import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleManifest } from './bundle-cache';
import { bundleKey, MANIFEST_FILE } from './bundle-cache';
import { bundleWorkflows } from './workflow-bundle';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: bundle-main.ts <folder>');
  const tmp = path.join(dir, `.bundle-${process.pid}.js`);
  process.on('exit', () => rmSync(tmp, { force: true }));
  const built = await bundleWorkflows(tmp);
  // Only files on disk: webpack also lists the SDK's generated entry module, which lives in
  // memory, and some folders it looked into.
  const onDisk = built.sources.filter((f) => !f.startsWith(path.join(dir, path.sep)) && isFile(f));
  const key = bundleKey(onDisk);
  if (!key) throw new Error('a source file of the bundle disappeared while bundling');
  const bundle = `bundle-${key.slice(0, 16)}.js`;
  renameSync(tmp, path.join(dir, bundle));
  const manifest: BundleManifest = { version: 1, key, bundle, sources: onDisk };
  const manifestTmp = path.join(dir, `.manifest-${process.pid}.json`);
  writeFileSync(manifestTmp, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(manifestTmp, path.join(dir, MANIFEST_FILE));
  // A worker that started with an older bundle has already read it into memory.
  for (const f of readdirSync(dir)) if (/^bundle-[0-9a-f]+\.js$/.test(f) && f !== bundle) rmSync(path.join(dir, f), { force: true });
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bosun workflow bundler: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
