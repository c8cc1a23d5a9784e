/**
 * The local stack: a Temporal dev server (SQLite, web UI) and moto, both on loopback, started
 * from the pinned binaries and stopped again, exactly the processes this module started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeRegistrations } from '../domain/search-attributes';
import type { BosunConfig } from '../config';
import type { StackRecord } from './stack-record';
import { findMotoPython, findTemporalCli } from './tools';

/** What every local server takes besides its own settings. */
export interface OwnedServerOptions {
  /**
   * Records the server so that a later start can stop it if this process dies without doing so
   * (npm start, npm run stack). Such servers also run in their own process group, so a Ctrl-C
   * reaches only Bosun, which stops them after its worker has drained.
   */
  readonly record?: StackRecord | undefined;
  /** Where the pinned tools are (default: the configuration's). */
  readonly tools?: BosunConfig['tools'] | undefined;
}

export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  /** Its log file (what to read when it dies). */
  readonly logFile: string;
  /** Settles when the process exits, for whatever reason, with how it ended (`code 1`, `signal SIGKILL`). */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

export interface TemporalDevServer extends RunningProcess {
  readonly address: string;
  readonly uiUrl: string | undefined;
  readonly namespace: string;
}

export interface TemporalDevServerOptions extends OwnedServerOptions {
  readonly port: number;
  readonly uiPort?: number | undefined;
  /** SQLite file that keeps workflows across restarts; absent = in memory. */
  readonly dbFile?: string | undefined;
  readonly headless?: boolean | undefined;
  readonly namespace?: string | undefined;
  /** Where the server's output goes (the stack's log folder). */
  readonly logFile: string;
  readonly readyTimeoutMs?: number | undefined;
  readonly extraArgs?: readonly string[] | undefined;
}

/** Starts the pinned Temporal CLI's dev server and resolves once the namespace and Bosun's search attributes answer. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cli = findTemporalCli(opts.tools);
  const namespace = opts.namespace ?? 'default';
  await assertPortFree(opts.port, 'Temporal gRPC (set TEMPORAL_ADDRESS to use a running server, or BOSUN_TEMPORAL_PORT)');
  if (!opts.headless && opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal web UI (BOSUN_TEMPORAL_UI_PORT)');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    // The dev server's SQLite defaults to a rollback journal with synchronous=FULL, an
    // fsync per committed write, and its one connection serves every read behind those writes.
    // WAL with synchronous=NORMAL syncs at checkpoints instead: a write survives a crash or kill of
    // the server (the chaos run restarts it), but the last ones may be lost if the machine loses
    // power, which the embedded local stack accepts (a production cluster has its own database).
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
  for (const sa of searchAttributeRegistrations()) args.push('--search-attribute', sa);
  // A workflow whose workflow tasks keep failing (a Bosun bug, a non-deterministic change) gets
  // the TemporalReportedProblems search attribute after 2 failed attempts, so the UI's
  // "Failures" view lists it while it is stuck RUNNING (the server's default, 0, never sets it).
  args.push('--dynamic-config-value', 'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2');
  // Eager activity dispatch: the worker asks for it (the SDK's default) and the server then hands
  // an activity scheduled by a workflow task back in that task's completion response instead of
  // through matching, saving a trip per activity (bench e2e, variant no-eager-activities). The
  // pinned dev server (CLI 1.9.1, server 1.32) does it without the flag; the line makes it
  // explicit, so that a CLI whose default differs does not silently add that trip. Eager workflow
  // start (`system.enableEagerWorkflowStart`) needs no flag (bench e2e, variant in-process).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // DescribeWorkflowExecution (every GET /task) reads the run's start event. The dev server has one
  // shard, whose events cache holds 512 KiB by default, far fewer than 1,000 running tasks' start
  // events: every poll read its start event from SQLite, queued behind the worker's writes on the
  // one connection (bench/results/bench-status*.md). 32 MiB (at most that much more server memory)
  // keeps them all cached. The mutable-state cache needs no setting: it is one host-level cache
  // of 128,000 entries (history.hostLevelCacheMaxSize).
  args.push('--dynamic-config-value', 'history.eventsCacheMaxSizeBytes=33554432');
  // The CLI's dev server turns the search-attribute cache off unless this key is given, so every
  // describe and start read the cluster metadata and the namespace from SQLite (2 + 1 reads per
  // GET /task in bench-status). Bosun's attributes are registered at start, before anything uses
  // them (the readiness probe above waits for them), so the cache cannot hide a newer one.
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  // The caller's own flags, such as the UI's codec endpoint.
  args.push(...(opts.extraArgs ?? []));

  const address = `127.0.0.1:${opts.port}`;
  const server = await launchReady('temporal', cli, args, opts, {
    what: `Temporal dev server on ${address}`,
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    probe: async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        // The server answers before it has registered the search attributes passed to it.
        const sa = await connection.operatorService.listSearchAttributes({ namespace });
        return Object.keys(sa.customAttributes ?? {}).includes('BosunTaskStatus');
      } finally {
        await connection.close();
      }
    },
  });
  return { ...server, address, namespace, uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort ?? opts.port + 1000}` };
}

export interface MotoServer extends RunningProcess {
  readonly endpoint: string;
}

export interface MotoOptions extends OwnedServerOptions {
  readonly port: number;
  readonly logFile: string;
  readonly readyTimeoutMs?: number;
}

const MOTO_SERVER = path.join(__dirname, 'moto_server.py');

/** Starts moto's standalone server on loopback and resolves once it answers. */
export async function startMoto(opts: MotoOptions): Promise<MotoServer> {
  const python = findMotoPython(opts.tools);
  await assertPortFree(opts.port, 'the AWS emulator (set AWS_ENDPOINT_URL to use a running one, or BOSUN_MOTO_PORT)');
  // moto as released, with one fix: its EC2 tag lookup scans every tag in the region, which made
  // tag-filtered describes quadratic in the emulator's size (see infra/moto_server.py).
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const server = await launchReady('moto', python, [MOTO_SERVER, '-H', '127.0.0.1', '-p', String(opts.port)], opts, {
    what: `moto on ${endpoint}`,
    timeoutMs: opts.readyTimeoutMs ?? 30_000,
    probe: async () => {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    },
  });
  return { ...server, endpoint };
}

/** Picks a free loopback port (for tests, where fixed ports would collide). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function launch(name: string, command: string, args: string[], opts: OwnedServerOptions & { logFile: string }): ChildProcess {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  // The server writes straight into its log file (not through a pipe to this process), so it
  // keeps running, and logging, if this process dies; the record lets the next start stop it.
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: Boolean(opts.record) });
  closeSync(fd);
  if (child.pid !== undefined) opts.record?.add(name, child.pid);
  child.on('error', (err) => log.write(`\n[bosun] could not start ${name}: ${err.message}\n`));
  child.on('exit', () => log.end());
  return child;
}

/** How `launchReady` knows a server is ready: `probe` answers true within `timeoutMs`. */
export interface Readiness {
  /** The server as the error names it, such as `moto on http://127.0.0.1:5000`. */
  readonly what: string;
  readonly timeoutMs: number;
  readonly probe: () => Promise<boolean>;
}

/**
 * Launches a server (as `launch` does) and resolves once it is ready; one that exits or is not
 * ready in time is stopped before the error is thrown, so a failed start leaves nothing running.
 */
export async function launchReady(
  name: string,
  command: string,
  args: string[],
  opts: OwnedServerOptions & { logFile: string },
  ready: Readiness,
): Promise<RunningProcess> {
  const child = launch(name, command, args, opts);
  try {
    await waitUntil(ready.what, ready.timeoutMs, child, opts.logFile, ready.probe);
  } catch (err) {
    await stopChild(child, opts.record);
    throw err;
  }
  return { name, pid: child.pid!, logFile: opts.logFile, exited: exitOf(child), stop: () => stopChild(child, opts.record) };
}

export async function waitUntil(
  what: string,
  timeoutMs: number,
  child: ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const started = Date.now();
  let lastError = '';
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (code ${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms (last probe error: ${lastError || 'none'}); see ${logFile}`);
}

export function exitOf(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(describeExit(child.exitCode, child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(describeExit(code, signal))));
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** SIGTERM, then SIGKILL after a grace period; only ever the child this module spawned. */
export async function stopChild(child: ChildProcess, record: StackRecord | undefined, graceMs = 8000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  if (child.pid !== undefined) record?.remove(child.pid);
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse) throw new Error(`port 127.0.0.1:${port} is already in use; it is needed for ${what}`);
}

/** What the configuration asks the local stack to run (nothing of what is configured elsewhere). */
export interface LocalServers {
  readonly temporal?: TemporalDevServer | undefined;
  readonly moto?: MotoServer | undefined;
}

/**
 * Starts the local servers the configuration does not point elsewhere: a Temporal dev server
 * (persisted in the state folder, with its UI) unless TEMPORAL_ADDRESS is set, and moto in
 * emulator mode unless AWS_ENDPOINT_URL is set. Each is handed to `own` as soon as it runs, so the
 * caller can stop it even if the next one fails to start. `npm start` and `npm run stack` share it.
 */
export async function startLocalServers(
  config: BosunConfig,
  record: StackRecord | undefined,
  own: (p: RunningProcess) => void,
): Promise<LocalServers> {
  let temporal: TemporalDevServer | undefined;
  let moto: MotoServer | undefined;
  if (!config.temporal.address) {
    temporal = await startTemporalDevServer({
      port: config.temporal.localPort,
      uiPort: config.temporal.localUiPort,
      dbFile: path.join(config.stateDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      logFile: path.join(config.stateDir, 'logs', 'temporal.log'),
      // The codec endpoint is its own listener, off unless configured (client/facade/codec-endpoint.ts).
      extraArgs: config.codecEndpoint.enabled
        ? ['--ui-codec-endpoint', `http://${config.codecEndpoint.host}:${config.codecEndpoint.port}`]
        : [],
      record,
      tools: config.tools,
    });
    own(temporal);
  }
  if (config.aws.mode === 'emulator' && !config.aws.endpoint) {
    moto = await startMoto({
      port: config.aws.localPort,
      logFile: path.join(config.stateDir, 'logs', 'moto.log'),
      record,
      tools: config.tools,
    });
    own(moto);
  }
  return { temporal, moto };
}
