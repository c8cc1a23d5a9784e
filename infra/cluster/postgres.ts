/**
 * A private PostgreSQL cluster for the Temporal cluster: its own data folder, port and socket
 * folder under the cluster's state folder, so it is independent of any system service. Runs as
 * the `postgres` user (the server refuses root); `initdb` once, then start and stop at will.
 * Authentication is `trust` on loopback only: nothing else can reach it.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ProcessEntry } from './processes';
import { launch, waitUntil } from './processes';

/** The database role Temporal connects as (created by initdb as the superuser). */
export const POSTGRES_ROLE = 'temporal';

export interface PostgresLayout {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly logFile: string;
}

/** The folder of PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian: apt-get install postgresql)');
}

/** The uid and gid PostgreSQL runs as: the `postgres` user, or this user when it is not root. */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root, but there is no 'postgres' user to run PostgreSQL as (Debian's postgresql package creates it)");
  }
}

function asPostgres(command: string, args: string[], cwd: string): string {
  const user = postgresUser();
  return execFileSync(command, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) });
}

/** Creates the data folder with initdb unless it already holds a cluster. */
export function initPostgres(layout: PostgresLayout): { created: boolean } {
  const user = postgresUser();
  for (const dir of [layout.dataDir, layout.socketDir]) {
    // The parents stay traversable (0755): the server runs as another user than the one creating them.
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user) chownSync(dir, user.uid, user.gid);
  }
  if (user) {
    try {
      execFileSync('test', ['-x', layout.dataDir], { stdio: 'ignore', ...user });
    } catch {
      throw new Error(
        `the postgres user cannot reach ${layout.dataDir}: a folder above it is not traversable (chmod o+x); put the cluster's state folder elsewhere`,
      );
    }
  }
  if (existsSync(path.join(layout.dataDir, 'PG_VERSION'))) return { created: false };
  asPostgres(
    path.join(postgresBinDir(), 'initdb'),
    ['-D', layout.dataDir, '-U', POSTGRES_ROLE, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'],
    layout.dataDir,
  );
  return { created: true };
}

/** Starts the server (loopback only) and waits until it accepts connections. */
export async function startPostgres(layout: PostgresLayout, timeoutMs = 30_000): Promise<ProcessEntry> {
  const bin = postgresBinDir();
  const entry = await launch(
    'postgres',
    path.join(bin, 'postgres'),
    [
      '-D',
      layout.dataDir,
      '-p',
      String(layout.port),
      '-k',
      layout.socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Five Temporal processes with their connection pools, plus the SQL tool.
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=128MB',
    ],
    { logFile: layout.logFile, cwd: layout.dataDir, ...(postgresUser() ?? {}) },
  );
  await waitUntil(
    `PostgreSQL on 127.0.0.1:${layout.port}`,
    timeoutMs,
    async () => {
      try {
        execFileSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(layout.port), '-U', POSTGRES_ROLE], {
          stdio: 'ignore',
        });
        return true;
      } catch {
        return false;
      }
    },
    entry,
    layout.logFile,
  );
  return entry;
}

/**
 * Stops the server with pg_ctl: `immediate` is a crash (no checkpoint; the next start recovers
 * from the WAL), as the chaos run wants; `fast` is the clean stop.
 */
export function stopPostgres(layout: PostgresLayout, mode: 'fast' | 'immediate'): void {
  if (!existsSync(path.join(layout.dataDir, 'postmaster.pid'))) return;
  asPostgres(path.join(postgresBinDir(), 'pg_ctl'), ['-D', layout.dataDir, 'stop', '-m', mode, '-w', '-t', '30'], layout.dataDir);
}
