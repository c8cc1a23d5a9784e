/**
 * Bosun as the chaos run sees it: workers and facades (one of each by default; the cluster run
 * has 3 and 2), each a real child process (`worker/main.ts`, `client/facade/main.ts`) configured
 * only by environment, against a Temporal server and the fault proxy. The process faults kill or
 * restart exactly these children, taking turns among the replicas.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { changeFlagFile, setRollout } from '../../client/routing';
import type { Launcher, TsChild } from './child-process';
import { spawnTs, waitForHttp } from './child-process';

export interface SystemUnderTest {
  readonly name: 'bosun' | 'baseline';
  /** Where Orca posts and polls (the port stays the same across restarts); with several facades, each read names the next one. */
  readonly url: string;
  /** SIGKILL the process that runs operations, then start a new one. */
  killWorker(): Promise<void>;
  /** Stop the HTTP front (SIGTERM, SIGKILL after a grace period), then start a new one on the same port. */
  restartFacade(): Promise<void>;
  /** Processes that exited without being told to (each one was restarted). */
  readonly unexpectedExits: readonly string[];
  stop(): Promise<void>;
}

export interface BosunSystemOptions {
  readonly temporalAddress: () => string;
  /** The fault proxy: every AWS call of the worker goes through it. */
  readonly awsEndpoint: string;
  readonly taskQueue: string;
  /** Holds the payload key (worker and facade must share it), the flag file and the logs. */
  readonly stateDir: string;
  readonly facadePort: number;
  /** More facade replicas, one per port (Orca's requests take turns among all of them). */
  readonly extraFacadePorts?: readonly number[];
  /** More environment for the facade in each slot (facadePort first, then extraFacadePorts). */
  readonly facadeEnvs?: readonly (Readonly<Record<string, string>> | undefined)[];
  /** Worker processes on the task queue (default 1). */
  readonly workers?: number;
  /** More environment for every child (the cluster's TEMPORAL_TLS_* settings). */
  readonly temporalEnv?: Readonly<Record<string, string>>;
  readonly workflowBundle: string;
  readonly accounts: string;
  /** How long the workflows' waits sleep between looks at AWS (BOSUN_POLL_INTERVAL). */
  readonly pollInterval: string;
  readonly retryWindow: string;
  readonly launcher?: Launcher;
  /** Node flags of each worker (the memory benchmark's: the V8 heap limit `npm run worker` sets). */
  readonly workerNodeFlags?: readonly string[];
  readonly logLevel?: string;
  /** Bounds each start (worker polling, facade answering). */
  readonly startTimeoutMs?: number;
}

/** Bosun's own system: its workers can also be named and killed one by one (the cluster tests). */
export interface BosunSystem extends SystemUnderTest {
  /** The Temporal worker identity of each running worker process. */
  readonly workerIdentities: readonly string[];
  /** SIGKILL the worker with this identity; it is started again only when `restart` is true. */
  killWorkerWithIdentity(identity: string, restart: boolean): Promise<void>;
  /** The running worker and facade processes, so a benchmark can read their CPU and memory. */
  processes(): { readonly name: string; readonly pid: number }[];
}

/** Writes the flag file that routes every application to Temporal (100% rollout), as the platform team would. */
export async function writeAllTemporalFlag(file: string): Promise<void> {
  await changeFlagFile({
    file,
    edit: (d) => setRollout(d, 100),
    who: 'chaos@bosun',
    action: 'rollout',
    args: { percent: 100 },
    reason: 'chaos run: every application on Temporal',
  });
}

export async function startBosunSystem(opts: BosunSystemOptions): Promise<BosunSystem> {
  mkdirSync(opts.stateDir, { recursive: true });
  // Written before either process starts, so both read the same key (no start-up race on creating it).
  writeFileSync(path.join(opts.stateDir, 'payload.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
  const flagFile = path.join(opts.stateDir, 'flags', 'routing.json');
  await writeAllTemporalFlag(flagFile);
  const logs = path.join(opts.stateDir, 'logs');
  const startTimeout = opts.startTimeoutMs ?? 60_000;
  const unexpectedExits: string[] = [];
  let stopping = false;
  let workerGeneration = 0;
  let facadeGeneration = 0;
  const facadePorts = [opts.facadePort, ...(opts.extraFacadePorts ?? [])];
  const workerCount = Math.max(1, opts.workers ?? 1);

  const baseEnv = (): Record<string, string> => ({
    TEMPORAL_ADDRESS: opts.temporalAddress(),
    AWS_ENDPOINT_URL: opts.awsEndpoint,
    BOSUN_AWS: 'emulator',
    BOSUN_ACCOUNTS: opts.accounts,
    BOSUN_TASK_QUEUE: opts.taskQueue,
    BOSUN_STATE_DIR: opts.stateDir,
    BOSUN_FLAG_FILE: flagFile,
    BOSUN_AWS_RETRY_WINDOW: opts.retryWindow,
    BOSUN_POLL_INTERVAL: opts.pollInterval,
    BOSUN_LOG_LEVEL: opts.logLevel ?? 'info',
    ...opts.temporalEnv,
  });

  const workers: (TsChild | undefined)[] = Array.from({ length: workerCount }, () => undefined);
  const identities: (string | undefined)[] = workers.map(() => undefined);
  const facades: (TsChild | undefined)[] = facadePorts.map(() => undefined);
  /** Children we did not stop ourselves are restarted (bounded), and counted as a finding. */
  const supervise = (child: TsChild, restart: () => Promise<void>, current: () => TsChild | undefined) => {
    void child.exited.then(async (e) => {
      if (stopping || current() !== child || intentional.has(child.pid)) return;
      unexpectedExits.push(
        `${child.name} pid ${child.pid} exited on its own (code ${e.code}, signal ${e.signal}) after ${Math.round((Date.now() - child.startedAt) / 1000)} s`,
      );
      if (unexpectedExits.length > 20) return;
      await restart().catch((err: unknown) => unexpectedExits.push(`restarting ${child.name} failed: ${(err as Error).message}`));
    });
  };
  const intentional = new Set<number>();

  async function startWorker(slot: number): Promise<void> {
    workerGeneration++;
    const identity = `chaos-worker-${workerGeneration}@${process.pid}`;
    const child = spawnTs({
      name: `worker-${workerGeneration}`,
      script: 'worker/main.ts',
      env: { ...baseEnv(), BOSUN_WORKFLOW_BUNDLE: opts.workflowBundle, BOSUN_WORKER_IDENTITY: identity },
      logFile: path.join(logs, workerCount > 1 ? `worker-${slot + 1}.log` : 'worker.log'),
      launcher: opts.launcher,
      nodeFlags: opts.workerNodeFlags,
    });
    workers[slot] = child;
    identities[slot] = identity;
    await child.waitForOutput('worker polling', startTimeout);
    supervise(
      child,
      () => startWorker(slot),
      () => workers[slot],
    );
  }

  async function startFacade(slot: number): Promise<void> {
    facadeGeneration++;
    const port = facadePorts[slot]!;
    const child = spawnTs({
      name: `facade-${facadeGeneration}`,
      script: 'client/facade/main.ts',
      env: { ...baseEnv(), ...opts.facadeEnvs?.[slot], BOSUN_FACADE_PORT: String(port), BOSUN_FACADE_HOST: '127.0.0.1' },
      logFile: path.join(logs, facadePorts.length > 1 ? `facade-${slot + 1}.log` : 'facade.log'),
      launcher: opts.launcher,
    });
    facades[slot] = child;
    await waitForHttp(`http://127.0.0.1:${port}/health`, startTimeout, child);
    supervise(
      child,
      () => startFacade(slot),
      () => facades[slot],
    );
  }

  const first = await Promise.allSettled([...workers.map((_, i) => startWorker(i)), ...facades.map((_, i) => startFacade(i))]);
  const failure = first.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    stopping = true;
    // Whichever did start must not outlive the failed start.
    await Promise.all([...workers, ...facades].flatMap((c) => (c ? [c.stop(5000)] : [])));
    throw failure.reason;
  }

  let nextWorkerVictim = 0;
  let nextFacadeVictim = 0;
  let nextUrl = 0;
  return {
    name: 'bosun',
    get url() {
      const port = facadePorts[nextUrl++ % facadePorts.length]!;
      return `http://127.0.0.1:${port}`;
    },
    unexpectedExits,
    processes() {
      const running = (kind: string, children: readonly (TsChild | undefined)[]) =>
        children.flatMap((c, i) => (c && c.exitInfo === undefined ? [{ name: `${kind} ${i + 1}`, pid: c.pid }] : []));
      return [...running('bosun worker', workers), ...running('facade', facades)];
    },
    get workerIdentities() {
      return identities.filter((id, i): id is string => id !== undefined && workers[i]?.exitInfo === undefined);
    },
    async killWorkerWithIdentity(identity, restart) {
      const slot = identities.indexOf(identity);
      const victim = workers[slot];
      if (slot < 0 || !victim) throw new Error(`no running worker has the identity ${identity}`);
      intentional.add(victim.pid);
      await victim.kill();
      if (restart) await startWorker(slot);
    },
    async killWorker() {
      const slot = nextWorkerVictim++ % workers.length;
      const victim = workers[slot]!;
      intentional.add(victim.pid);
      await victim.kill();
      await startWorker(slot);
    },
    async restartFacade() {
      const slot = nextFacadeVictim++ % facades.length;
      const victim = facades[slot]!;
      intentional.add(victim.pid);
      await victim.stop(5000);
      await startFacade(slot);
    },
    async stop() {
      stopping = true;
      await Promise.all([...workers.flatMap((w) => (w ? [w.stop(12_000)] : [])), ...facades.flatMap((f) => (f ? [f.stop(5000)] : []))]);
    },
  };
}
