/**
 * A production-shaped Temporal cluster on loopback: PostgreSQL (private cluster), and the real
 * server's services as separate processes from one config file: frontend, two history nodes,
 * matching and the worker service, on 4 history shards; optionally with a frontend that requires
 * client certificates. Registers Bosun's namespace and search attributes.
 *
 * Every process is recorded in `<dir>/cluster.json` (pid and command line), so `stopCluster`
 * (`npm run cluster -- down`) stops exactly what was started, even after the starter is gone.
 * The chaos run and the cluster tests kill and restart single services through `kill`/`start`.
 */
import type { google } from '@temporalio/proto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { ConnectionOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SearchAttributes } from '../../domain/search-attributes';
import type { ClusterCertificates } from './certs';
import { ensureCertificates } from './certs';
import type { PostgresLayout } from './postgres';
import { initPostgres, POSTGRES_ROLE, postgresDirsOf, startPostgres, stopPostgres } from './postgres';
import type { ClusterRecordData, ProcessEntry } from './processes';
import {
  isRunning,
  killHard,
  launch,
  portOpen,
  readClusterRecord,
  removeClusterRecord,
  sleep,
  terminate,
  waitUntil,
  writeClusterRecord,
} from './processes';
import type { ClusterPorts } from './server-config';
import { allPorts, clusterPorts, historyNodeEnv, writeServerConfig } from './server-config';

// protobufjs encodes a plain number for an int64 field; its generated type only names Long.
const THREE_DAYS = { seconds: 3 * 24 * 60 * 60 } as unknown as google.protobuf.IDuration;
import { ensureTemporalServer } from './server-binary';

export const CLUSTER_SERVICES = ['postgres', 'frontend', 'history-1', 'history-2', 'matching', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

export interface ClusterOptions {
  /** The cluster's state folder: database, config, certificates, logs, record. */
  readonly dir: string;
  readonly basePort: number;
  /** Frontend with TLS that requires client certificates. */
  readonly tls: boolean;
  readonly namespace: string;
  readonly shards?: number;
  /** Where the server binaries are cached (default ~/.cache/bosun/temporal-server-<version>). */
  readonly serverCacheDir?: string;
  readonly log?: (line: string) => void;
  readonly readyTimeoutMs?: number;
}

/** How long each step of a start took, in ms. */
export interface ClusterTimings {
  readonly serverBuildMs: number;
  readonly serverBuilt: boolean;
  readonly postgresMs: number;
  readonly schemaMs: number;
  readonly servicesMs: number;
  readonly namespaceMs: number;
  readonly totalMs: number;
}

export class ClusterInUseError extends Error {
  override readonly name = 'ClusterInUseError';
}

export interface TemporalCluster {
  readonly dir: string;
  readonly address: string;
  readonly namespace: string;
  readonly ports: ClusterPorts;
  readonly certs: ClusterCertificates | undefined;
  /** Environment that points Bosun (worker, facade, CLI) at this cluster. */
  readonly env: Readonly<Record<string, string>>;
  readonly timings: ClusterTimings;
  /** Connection options for a client of this cluster (with the client certificate under TLS). */
  connectionOptions(): ConnectionOptions;
  /** `kill -9` a service; PostgreSQL is crashed with `pg_ctl stop -m immediate`. */
  kill(service: ClusterService): Promise<void>;
  /** Starts a stopped service again and waits until it answers; resolves with the ms it took. */
  start(service: ClusterService): Promise<number>;
  isUp(service: ClusterService): boolean;
  /** Stops everything this cluster started: Temporal services first, then PostgreSQL. */
  stop(): Promise<void>;
}

function logFileOf(dir: string, name: string): string {
  return path.join(dir, 'logs', `${name}.log`);
}

/** Starts the cluster in `opts.dir`; refuses when that folder's cluster is still running. */
export async function startCluster(opts: ClusterOptions): Promise<TemporalCluster> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const existing = readClusterRecord(opts.dir);
  if (existing?.processes.some(isRunning)) {
    throw new ClusterInUseError(
      `a cluster is already running from ${opts.dir} (frontend ${existing.address}); stop it with: npm run cluster -- down`,
    );
  }
  removeClusterRecord(opts.dir);
  const ports = clusterPorts(opts.basePort);
  const taken = [];
  for (const port of allPorts(ports)) if (await portOpen(port)) taken.push(port);
  if (taken.length) throw new Error(`ports ${taken.join(', ')} on 127.0.0.1 are in use; pick another base port (--port)`);

  // Readable by all (its logs and config); secrets get their own 0700 folders.
  mkdirSync(opts.dir, { recursive: true, mode: 0o755 });
  const binaries = await ensureTemporalServer({ cacheDir: opts.serverCacheDir, log: (l) => log(`build: ${l}`) });
  log(
    `Temporal server ${binaries.version} ${binaries.built ? `built in ${(binaries.ms / 1000).toFixed(0)} s` : `cached (${binaries.ms} ms)`}`,
  );
  const certs = opts.tls ? ensureCertificates(path.join(opts.dir, 'certs')) : undefined;
  const configFile = writeServerConfig({ dir: path.join(opts.dir, 'config'), ports, shards: opts.shards ?? 4, certs });
  const address = `127.0.0.1:${ports.frontend}`;
  const pg: PostgresLayout = {
    ...postgresDirsOf(opts.dir),
    port: ports.postgres,
    logFile: logFileOf(opts.dir, 'postgres'),
  };
  const env: Record<string, string> = { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: opts.namespace };
  if (certs) {
    Object.assign(env, {
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    });
  }
  const record: ClusterRecordData = {
    startedAt: new Date().toISOString(),
    address,
    namespace: opts.namespace,
    tls: opts.tls,
    env,
    processes: [],
  };
  const entries = new Map<ClusterService, ProcessEntry>();
  const save = () => writeClusterRecord(opts.dir, { ...record, processes: [...entries.values()] });
  const readyTimeout = opts.readyTimeoutMs ?? 90_000;

  const connectionOptions = (): ConnectionOptions => ({
    address,
    connectTimeout: 2000,
    ...(certs
      ? {
          tls: {
            serverNameOverride: certs.serverName,
            serverRootCACertificate: readFileSync(certs.caCert),
            clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
          },
        }
      : {}),
  });

  const serverArgs = (service: string) => ['--config-file', configFile, '--allow-no-auth', 'start', `--service=${service}`];
  const startService = async (service: ClusterService): Promise<number> => {
    const started = Date.now();
    if (service === 'postgres') {
      entries.set('postgres', await startPostgres(pg));
      save();
      return Date.now() - started;
    }
    const kind = service.startsWith('history') ? 'history' : service;
    const node = service === 'history-2' ? 1 : 0;
    const entry = await launch(service, binaries.server, serverArgs(kind), {
      logFile: logFileOf(opts.dir, service),
      env: kind === 'history' ? historyNodeEnv(ports, node) : {},
      cwd: opts.dir,
    });
    entries.set(service, entry);
    save();
    const port = {
      frontend: ports.frontend,
      'history-1': ports.history[0]!.grpc,
      'history-2': ports.history[1]!.grpc,
      matching: ports.matching,
      worker: ports.worker,
    }[service];
    if (service === 'frontend') {
      await waitUntil(
        `Temporal frontend on ${address}`,
        readyTimeout,
        () => frontendAnswers(connectionOptions()),
        entry,
        logFileOf(opts.dir, service),
      );
    } else {
      await waitUntil(`Temporal ${service} on 127.0.0.1:${port}`, readyTimeout, () => portOpen(port), entry, logFileOf(opts.dir, service));
    }
    return Date.now() - started;
  };

  const cluster: TemporalCluster = {
    dir: opts.dir,
    address,
    namespace: opts.namespace,
    ports,
    certs,
    env,
    timings: undefined as unknown as ClusterTimings,
    connectionOptions,
    async kill(service) {
      const entry = entries.get(service);
      if (!entry) return;
      if (service === 'postgres') {
        stopPostgres(pg, 'immediate');
        await killHard(entry); // only if pg_ctl left it (it waits for the postmaster to exit)
      } else {
        await killHard(entry);
      }
      entries.delete(service);
      save();
    },
    async start(service) {
      if (entries.has(service) && isRunning(entries.get(service)!)) return 0;
      return startService(service);
    },
    isUp(service) {
      const entry = entries.get(service);
      return entry !== undefined && isRunning(entry);
    },
    async stop() {
      await stopRecordedProcesses([...entries.values()], pg, log);
      entries.clear();
      removeClusterRecord(opts.dir);
    },
  };

  try {
    save();
    const tPg = Date.now();
    const { created } = initPostgres(pg, opts.dir);
    await startService('postgres');
    const postgresMs = Date.now() - tPg;
    log(`PostgreSQL on 127.0.0.1:${ports.postgres} ${created ? '(new data folder)' : ''} ready in ${postgresMs} ms`);
    const tSchema = Date.now();
    setupSchemas(binaries.sqlTool, ports.postgres);
    const schemaMs = Date.now() - tSchema;
    log(`schemas (temporal, temporal_visibility) up to date in ${schemaMs} ms`);
    const tServices = Date.now();
    // One first: on a new database every service writes the cluster metadata at start, and the
    // losers of that race exit. The others then start together and join the membership ring.
    await startService('history-1');
    await Promise.all((['history-2', 'matching', 'frontend', 'worker'] as const).map((s) => startService(s)));
    const servicesMs = Date.now() - tServices;
    log(`services frontend, history ×2, matching, worker up in ${servicesMs} ms`);
    const tNs = Date.now();
    await registerNamespace(connectionOptions(), opts.namespace, readyTimeout, log);
    const namespaceMs = Date.now() - tNs;
    log(`namespace ${opts.namespace} and ${Object.keys(SearchAttributes).length} search attributes registered in ${namespaceMs} ms`);
    (cluster as { timings: ClusterTimings }).timings = {
      serverBuildMs: binaries.ms,
      serverBuilt: binaries.built,
      postgresMs,
      schemaMs,
      servicesMs,
      namespaceMs,
      totalMs: Date.now() - t0,
    };
    return cluster;
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
}

async function frontendAnswers(options: ConnectionOptions): Promise<boolean> {
  const connection = await Connection.connect(options);
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/** create-database, setup-schema -v 0.0 and update-schema: each rerunnable, so a restart reuses the data. */
function setupSchemas(sqlTool: string, port: number): void {
  for (const [db, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(port), '-u', POSTGRES_ROLE, '--db', db];
    const run = (args: string[]) => {
      try {
        execFileSync(sqlTool, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      } catch (err) {
        const e = err as { stderr?: string; stdout?: string };
        const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
        if (args[0] === 'create-database' && /already exists/i.test(text)) return;
        throw new Error(`temporal-sql-tool ${args.join(' ')} on ${db} failed:\n${text.slice(-2000)}`);
      }
    };
    run(['create-database']);
    run(['setup-schema', '-v', '0.0']);
    run(['update-schema', '--schema-name', schema]);
  }
}

/**
 * Registers the namespace (3 days' retention) and Bosun's search attributes. Right after the
 * namespace is created the frontend's namespace cache may not know it yet (about 10 s), so both
 * steps are retried until the attributes are listed.
 */
async function registerNamespace(
  options: ConnectionOptions,
  namespace: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const connection = await Connection.connect(options);
  const wanted = Object.fromEntries(
    Object.values(SearchAttributes).map((k) => [k.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${k.type}`]]),
  );
  try {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      try {
        try {
          await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: THREE_DAYS });
          log(`namespace ${namespace} created`);
        } catch (err) {
          if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
        }
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = Object.keys(wanted).filter((name) => !(name in (listed.customAttributes ?? {})));
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((name) => [name, wanted[name]!])),
        });
      } catch (err) {
        lastError = (err as Error).message;
        if (attempt % 10 === 1) log(`namespace set-up not done yet (retrying): ${lastError}`);
      }
      await sleep(1000);
    }
    throw new Error(`namespace ${namespace} or its search attributes could not be registered within ${timeoutMs} ms: ${lastError}`);
  } finally {
    await connection.close();
  }
}

async function stopRecordedProcesses(
  processes: readonly ProcessEntry[],
  pg: PostgresLayout | undefined,
  log: (line: string) => void,
): Promise<string[]> {
  const stopped: string[] = [];
  const temporal = processes.filter((p) => p.name !== 'postgres' && isRunning(p));
  await Promise.all(temporal.map((p) => terminate(p, 10_000)));
  stopped.push(...temporal.map((p) => p.name));
  const postgres = processes.find((p) => p.name === 'postgres');
  if (postgres && isRunning(postgres)) {
    try {
      if (pg) stopPostgres(pg, 'fast');
    } catch (err) {
      log(`pg_ctl stop failed (${(err as Error).message.split('\n')[0]}); signalling the postmaster`);
    }
    // SIGINT is PostgreSQL's fast shutdown; only reached if pg_ctl could not stop it.
    await terminate(postgres, 30_000, 'SIGINT');
    stopped.push('postgres');
  }
  return stopped;
}

/**
 * Stops the cluster recorded in `dir` (`npm run cluster -- down`), whoever started it: the
 * Temporal services (SIGTERM, SIGKILL after 10 s), then PostgreSQL with a fast shutdown.
 * Only processes whose pid still runs the recorded command line are signalled.
 */
export async function stopCluster(dir: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const record = readClusterRecord(dir);
  if (!record) return [];
  const pg: PostgresLayout = {
    ...postgresDirsOf(dir),
    port: 0,
    logFile: logFileOf(dir, 'postgres'),
  };
  const stopped = await stopRecordedProcesses(record.processes, pg, log);
  removeClusterRecord(dir);
  return stopped;
}

/**
 * Removes a stopped cluster's state, so the next start in `dir` begins with an empty database:
 * the folder, and PostgreSQL's folders wherever postgresDirsOf put them.
 */
export function removeClusterState(dir: string): void {
  const pg = postgresDirsOf(dir);
  const pgBase = path.dirname(pg.dataDir);
  if (path.resolve(pgBase) !== path.resolve(dir)) rmSync(pgBase, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

export { readClusterRecord };
