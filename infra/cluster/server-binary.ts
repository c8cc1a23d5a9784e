/**
 * The pinned Temporal server (`go.temporal.io/server`, the real multi-service server) and its SQL
 * tool, built from the Go module proxy by `build-server.sh` into a cache folder outside git.
 * The first build takes minutes (2 cores); afterwards the cached binaries are found at once.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The server version Bosun is tested against (v1.32.2 needs a newer Go than the machines have). */
export const TEMPORAL_SERVER_VERSION = 'v1.32.1';

export interface TemporalServerBinaries {
  readonly server: string;
  readonly sqlTool: string;
  readonly version: string;
  /** False when the cached binaries were reused. */
  readonly built: boolean;
  readonly ms: number;
}

/** Where the binaries are cached: shared by every checkout of the project on this machine. */
export function defaultServerCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'bosun', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the server and the SQL tool unless they are cached. The build runs at low priority
 * (`nice`), so the machine stays usable; its output is passed to `log` line by line.
 */
export async function ensureTemporalServer(
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<TemporalServerBinaries> {
  const cacheDir = opts.cacheDir ?? defaultServerCacheDir();
  const started = Date.now();
  const server = path.join(cacheDir, 'bin', 'temporal-server');
  const sqlTool = path.join(cacheDir, 'bin', 'temporal-sql-tool');
  const cached = executable(server) && executable(sqlTool);
  const script = path.join(__dirname, 'build-server.sh');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', 'bash', script, cacheDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) opts.log?.(line);
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`building the Temporal server ${TEMPORAL_SERVER_VERSION} failed (exit ${code}):\n${tail}`)),
    );
  });
  return { server, sqlTool, version: TEMPORAL_SERVER_VERSION, built: !cached, ms: Date.now() - started };
}
