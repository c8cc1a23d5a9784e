/**
 * `npm run cluster`: a production-shaped Temporal cluster on this machine (PostgreSQL, frontend,
 * two history nodes, matching, worker service; 4 history shards), for running Bosun the way a
 * platform team runs it. Builds the pinned server from the Go module proxy the first time.
 *
 *   npm run cluster                      start it (returns once it is ready; it keeps running)
 *   npm run cluster -- --tls             the same, with a frontend that requires client certificates
 *   npm run cluster -- status            what is running
 *   npm run cluster -- down              stop exactly what `npm run cluster` started
 *
 * Options: --port N (base port, default 17233: frontend N, history N+2/N+3, matching N+6,
 * worker N+7, PostgreSQL N+20), --shards N (default 4; fixed once the database exists).
 * State (config, certificates, logs) lives in <BOSUN_STATE_DIR>/cluster; PostgreSQL's data too,
 * unless root runs it (then under /var/tmp/bosun-postgres/, see postgresDirsOf).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config';
import { ClusterInUseError, readClusterRecord, startCluster, stopCluster } from './cluster';
import { postgresDirsOf } from './postgres';
import { isRunning } from './processes';
import { MAX_BASE_PORT } from './server-config';

const USAGE = 'Usage: npm run cluster [-- up|status|down] [--tls] [--port N] [--shards N]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: true,
    options: {
      tls: { type: 'boolean', default: false },
      port: { type: 'string', default: '17233' },
      shards: { type: 'string', default: '4' },
    },
  });
  const command = positionals[0] ?? 'up';
  const say = (message: string) => process.stderr.write(`bosun cluster: ${message}\n`);
  const config = loadConfig();
  const dir = path.join(config.stateDir, 'cluster');

  if (command === 'status') {
    const record = readClusterRecord(dir);
    if (!record) {
      process.stdout.write(`no cluster recorded in ${dir}\n`);
      return 0;
    }
    process.stdout.write(
      [
        `cluster of ${dir}: frontend ${record.address}${record.tls ? ' (mTLS)' : ''}, namespace ${record.namespace}, started ${record.startedAt}`,
        ...record.processes.map((p) => `  ${p.name.padEnd(10)} pid ${p.pid} ${isRunning(p) ? 'running' : 'gone'}`),
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (command === 'down') {
    const stopped = await stopCluster(dir, say);
    say(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
    return 0;
  }
  if (command !== 'up') {
    say(`unknown command '${command}'. ${USAGE}`);
    return 2;
  }
  const basePort = Number(values.port);
  const shards = Number(values.shards);
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort > MAX_BASE_PORT) {
    // Temporal's SQL schema keeps membership ports in a smallint.
    throw new Error(`--port ${values.port}: a port between 1024 and ${MAX_BASE_PORT} (every cluster port must stay below 32768)`);
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new Error(`--shards ${values.shards}: a whole number from 1 to 1024`);

  const cluster = await startCluster({ dir, basePort, tls: values.tls, namespace: config.temporal.namespace, shards, log: say });
  const envFile = path.join(dir, 'bosun.env');
  writeFileSync(
    envFile,
    Object.entries(cluster.env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const t = cluster.timings;
  const exports = Object.entries(cluster.env).map(([k, v]) => `  export ${k}=${v}`);
  process.stdout.write(
    [
      '',
      `Temporal cluster ready in ${(t.totalMs / 1000).toFixed(1)} s (server ${t.serverBuilt ? `built in ${(t.serverBuildMs / 1000).toFixed(0)} s` : 'cached'}; ` +
        `PostgreSQL ${(t.postgresMs / 1000).toFixed(1)} s, schemas ${(t.schemaMs / 1000).toFixed(1)} s, services ${(t.servicesMs / 1000).toFixed(1)} s, namespace ${(t.namespaceMs / 1000).toFixed(1)} s)`,
      `  frontend:   ${cluster.address}${cluster.certs ? ' (TLS, client certificate required)' : ''}; namespace ${cluster.namespace}, ${shards} history shards`,
      `  history:    ${cluster.ports.history.map((h) => `127.0.0.1:${h.grpc}`).join(', ')}; matching 127.0.0.1:${cluster.ports.matching}; worker service 127.0.0.1:${cluster.ports.worker}`,
      `  PostgreSQL: 127.0.0.1:${cluster.ports.postgres} (data in ${postgresDirsOf(dir).dataDir})`,
      `  logs:       ${path.join(dir, 'logs')}`,
      '',
      'Point Bosun at it (also written to ' + envFile + '):',
      ...exports,
      cluster.certs
        ? '  npm start        # worker + facade in one process, or npm run worker / npm run facade, as many as you like'
        : `  TEMPORAL_ADDRESS=${cluster.address} npm start        # or npm run worker / npm run facade, as many as you like`,
      '',
      'Stop it with: npm run cluster -- down',
      '',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof ConfigError || err instanceof ClusterInUseError;
    process.stderr.write(`bosun cluster: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  },
);
