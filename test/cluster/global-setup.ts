import { ensureTemporalServer } from '../../infra/cluster/server-binary';

/** Builds the pinned Temporal server the first time (minutes), or finds it in the cache (instant). */
export default async function globalSetup(): Promise<void> {
  const built = await ensureTemporalServer({ log: (line) => process.stderr.write(`[cluster build] ${line}\n`) });
  process.stderr.write(`\nTemporal server ${built.version}: ${built.built ? `built in ${Math.round(built.ms / 1000)} s` : 'cached'}\n`);
}
