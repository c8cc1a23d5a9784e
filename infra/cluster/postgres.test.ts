/**
 * The cluster's PostgreSQL from a clone inside a private (0700) folder, as home folders often
 * are: run by root, PostgreSQL runs as the `postgres` user, which cannot traverse such a folder,
 * so its data and socket live outside the clone. Starts a real PostgreSQL when the machine has
 * one and this runs as root (otherwise only the layout is checked).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../stack';
import { removeClusterState } from './cluster';
import { initPostgres, postgresBinDir, postgresDirsOf, postgresUser, SHARED_POSTGRES_ROOT, startPostgres, stopPostgres } from './postgres';

const asRoot = process.getuid?.() === 0;
const hasPostgres = (() => {
  try {
    postgresBinDir();
    return asRoot && postgresUser() !== undefined;
  } catch {
    return false;
  }
})();

test('run by root, the data and socket folders are outside the cluster folder, one per folder and stable; otherwise inside it', () => {
  const dir = path.join(os.tmpdir(), 'bosun-private', 'clone', '.state', 'cluster');
  const dirs = postgresDirsOf(dir);
  expect(postgresDirsOf(dir)).toEqual(dirs);
  if (asRoot) {
    expect(path.dirname(path.dirname(dirs.dataDir))).toBe(SHARED_POSTGRES_ROOT);
    expect(path.dirname(dirs.socketDir)).toBe(path.dirname(dirs.dataDir));
    expect(postgresDirsOf(`${dir}-other`).dataDir).not.toBe(dirs.dataDir);
  } else {
    expect(dirs).toEqual({ dataDir: path.join(dir, 'pgdata'), socketDir: path.join(dir, 'pgsocket') });
  }
});

(hasPostgres ? test : test.skip)(
  'PostgreSQL starts and stops for a cluster folder inside a 0700 folder',
  async () => {
    const privateDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-private-'));
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const dir = path.join(privateDir, 'clone', '.state', 'cluster');
    const layout = { ...postgresDirsOf(dir), port: await freePort(), logFile: path.join(dir, 'logs', 'postgres.log') };
    try {
      expect(initPostgres(layout, dir)).toEqual({ created: true });
      await startPostgres(layout);
      stopPostgres(layout, 'fast');
      // A restart finds the same database.
      expect(initPostgres(layout, dir)).toEqual({ created: false });
    } finally {
      stopPostgres(layout, 'immediate');
      removeClusterState(dir);
      rmSync(privateDir, { recursive: true, force: true });
    }
    expect(() => statSync(layout.dataDir)).toThrow();
  },
  60_000,
);
