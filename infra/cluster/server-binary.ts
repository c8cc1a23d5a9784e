/**
 * The pinned Temporal server (`go.temporal.io/server`, the real multi-service server) and its SQL
 * tool, built from the Go module proxy into a cache folder outside git (infra/go-binaries.ts).
 */
import { ensureGoBinaries, goCacheDir } from '../go-binaries';

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
  return goCacheDir('temporal-server', TEMPORAL_SERVER_VERSION);
}

/** Builds the server and the SQL tool unless they are cached (low priority; the build's output goes to `log`). */
export async function ensureTemporalServer(
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<TemporalServerBinaries> {
  const { paths, built, ms } = await ensureGoBinaries(
    {
      name: 'temporal-server',
      title: 'the Temporal server',
      module: 'go.temporal.io/server',
      version: TEMPORAL_SERVER_VERSION,
      binaries: { 'temporal-server': 'go.temporal.io/server/cmd/server', 'temporal-sql-tool': 'go.temporal.io/server/cmd/tools/sql' },
    },
    { cacheDir: opts.cacheDir ?? defaultServerCacheDir(), log: opts.log },
  );
  return { server: paths['temporal-server']!, sqlTool: paths['temporal-sql-tool']!, version: TEMPORAL_SERVER_VERSION, built, ms };
}
