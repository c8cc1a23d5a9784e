/**
 * Pinned commands built from the Go module proxy by `go-binaries.sh` into a cache folder outside
 * git, shared by every checkout on the machine (the Temporal server and its SQL tool, Jaeger).
 * The first build takes minutes (2 cores); afterwards the cached binaries are found at once.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { executable } from './tools';

export interface GoModuleBuild {
  /** The local module's name (`bosun.local/<name>`) and the prefix of the build's log lines. */
  readonly name: string;
  /** What a failure calls it: `the Temporal server`, `Jaeger`. */
  readonly title: string;
  readonly module: string;
  readonly version: string;
  /** Each binary's file name in the cache's `bin/`, and the main package it is built from. */
  readonly binaries: Readonly<Record<string, string>>;
}

export interface GoBinaries {
  /** Each binary's path, by its file name. */
  readonly paths: Readonly<Record<string, string>>;
  /** False when the cached binaries were reused. */
  readonly built: boolean;
  readonly ms: number;
}

/** `~/.cache/bosun/<name>-<version>`. */
export function goCacheDir(name: string, version: string): string {
  return path.join(os.homedir(), '.cache', 'bosun', `${name}-${version}`);
}

/**
 * Builds the binaries unless they are cached. The build runs at low priority (`nice`), so the
 * machine stays usable; its output is passed to `log` line by line.
 */
export async function ensureGoBinaries(
  b: GoModuleBuild,
  opts: { cacheDir: string; log?: ((line: string) => void) | undefined },
): Promise<GoBinaries> {
  const started = Date.now();
  const paths = Object.fromEntries(Object.keys(b.binaries).map((name) => [name, path.join(opts.cacheDir, 'bin', name)]));
  const cached = Object.values(paths).every(executable);
  const args = [b.name, b.module, b.version, opts.cacheDir, ...Object.entries(b.binaries).map(([name, pkg]) => `${name}=${pkg}`)];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', 'bash', path.join(__dirname, 'go-binaries.sh'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) opts.log?.(line);
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`building ${b.title} ${b.version} failed (exit ${code}):\n${tail.trim()}`)),
    );
  });
  return { paths, built: !cached, ms: Date.now() - started };
}
