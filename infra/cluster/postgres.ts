/**
 * A private PostgreSQL cluster for the Temporal cluster: its own data folder, port and socket
 * folder (postgresDirsOf), so it is independent of any system service. Runs as the `postgres`
 * user when started by root (the server refuses root); `initdb` once, then start and stop at
 * will. Authentication is `trust` on loopback only: nothing else can reach it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
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

/** Where root keeps the data of the clusters whose PostgreSQL runs as the `postgres` user. */
export const SHARED_POSTGRES_ROOT = '/var/tmp/bosun-postgres';

/**
 * The data and socket folders of the PostgreSQL that serves the cluster whose state is in
 * `clusterDir`. Run by an ordinary user, PostgreSQL runs as that user, and both sit in the
 * cluster's folder. Run by root, it runs as the `postgres` user, which must be able to traverse
 * every folder above its data folder; a clone in a private (0700) home folder is not traversable,
 * so both sit in a folder of their own under SHARED_POSTGRES_ROOT instead, named by a digest of
 * the cluster folder's real path (one per clone and state folder; a restart finds it again).
 */
export function postgresDirsOf(clusterDir: string): { dataDir: string; socketDir: string } {
  let base = clusterDir;
  if (postgresUser()) {
    let real = path.resolve(clusterDir);
    try {
      real = realpathSync(real);
    } catch {
      // Not created yet: the resolved path is what it will be.
    }
    base = path.join(SHARED_POSTGRES_ROOT, createHash('sha256').update(real).digest('hex').slice(0, 16));
  }
  return { dataDir: path.join(base, 'pgdata'), socketDir: path.join(base, 'pgsocket') };
}

/**
 * Creates `dir` (root's, 0755) or checks that it is root's and writable by no one else: under a
 * world-writable /var/tmp, another user could otherwise have put a folder or a link there first.
 */
function ensureRootOwnedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${dir} must be a folder owned by root and writable by no one else; remove it and start again`);
  }
  // Traversable by the postgres user whatever the umask was.
  chmodSync(dir, 0o755);
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
export function initPostgres(layout: PostgresLayout, clusterDir?: string): { created: boolean } {
  const user = postgresUser();
  const parent = path.dirname(layout.dataDir);
  if (user && path.dirname(parent) === SHARED_POSTGRES_ROOT) {
    ensureRootOwnedDir(SHARED_POSTGRES_ROOT);
    ensureRootOwnedDir(parent);
    // Names the cluster folder this data belongs to, for whoever cleans up /var/tmp.
    if (clusterDir) writeFileSync(path.join(parent, 'cluster-dir'), `${path.resolve(clusterDir)}\n`);
  }
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
      throw new Error(`the postgres user cannot reach ${layout.dataDir}: a folder above it is not traversable (chmod o+x)`);
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
