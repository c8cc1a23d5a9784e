/**
 * What the strategy fuzz and durability tests share: a worker child process that can be killed
 * (SIGKILL) and is then started again, and an HTTP proxy between that worker and moto that
 * attributes each AWS call to a trial (by a marker in the request: the trial's application name),
 * injects the trial's seeded faults (throttling, 5xx, a reset before AWS acts, an answer lost
 * after AWS acted), kills the worker at the trial's seeded calls, and writes down what AWS really
 * applied: the groups it created and each group's traffic transitions.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { seededRandom, sendAwsError, startLoopbackServer } from './fault-proxy';
import type { TestEnv } from '../harness';
import { startTestEnv, testSettings } from '../harness';
import { sleep } from './child-process';
import type { TaskJson } from './orca-client';
import { post } from './orca-client';
import { WorkerProcess } from './worker-process';
import type { WorkerChildConfig } from './worker-protocol';

/** A worker child that a test kills with SIGKILL and that is then started again, one kill at a time. */
export class RestartingWorker {
  private current: WorkerProcess | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** How long each restart took (from the kill to the new worker polling), in ms. */
  readonly restartMs: number[] = [];
  kills = 0;

  private constructor(
    private readonly config: WorkerChildConfig,
    private readonly logFile: string,
  ) {}

  static async start(config: WorkerChildConfig, logDir: string): Promise<RestartingWorker> {
    const w = new RestartingWorker(config, path.join(logDir, 'worker.log'));
    w.current = await WorkerProcess.start(config, w.logFile);
    return w;
  }

  /** Resolves once the running worker is dead; the next one starts behind it (see `settled`). */
  killAndRestart(): Promise<void> {
    let t0 = 0;
    const killed = this.chain.then(async () => {
      t0 = Date.now();
      await this.current?.kill();
      this.current = undefined;
      this.kills++;
    });
    this.chain = killed.then(async () => {
      this.current = await WorkerProcess.start(this.config, this.logFile);
      this.restartMs.push(Date.now() - t0);
    });
    return killed;
  }

  /** Resolves when every kill asked for so far has been followed by a running worker. */
  settled(): Promise<void> {
    return this.chain;
  }

  async stop(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.current?.stop(5000);
    this.current = undefined;
  }
}

export type InjectedFault = 'throttle' | 'serverError' | 'unavailable' | 'reset' | 'lostAnswer';

/** What one trial asks of the proxy; the proxy fills in what happened. */
export interface Tap {
  /** Every call whose request contains this string belongs to the trial. */
  readonly marker: string;
  /** The trial's own random sequence: one draw per call of the trial, in the order the calls arrive. */
  readonly random: () => number;
  /** Probability that a call of the trial gets a fault (split among the kinds below). */
  readonly faultRate: number;
  /** The trial's call numbers (1-based) at which the worker is killed. */
  readonly killAtCalls: ReadonlySet<number>;
  /** `afterAct`: AWS applies the call, then the worker dies before the answer; `beforeAct`: it dies and AWS never sees the call. */
  readonly killMode: 'afterAct' | 'beforeAct';
  calls: number;
  readonly faults: Record<InjectedFault, number>;
  /** Worker kills made at this trial's calls. */
  readonly kills: { call: number; action: string; mode: 'afterAct' | 'beforeAct' }[];
}

export function newTap(marker: string, seed: number, opts: Pick<Tap, 'faultRate' | 'killAtCalls' | 'killMode'>): Tap {
  return {
    marker,
    random: seededRandom(seed),
    ...opts,
    calls: 0,
    faults: { throttle: 0, serverError: 0, unavailable: 0, reset: 0, lostAnswer: 0 },
    kills: [],
  };
}

/** A change of a group's `AddToLoadBalancer` process that AWS applied (answered 200). */
export interface TrafficChange {
  readonly group: string;
  readonly action: 'SuspendProcesses' | 'ResumeProcesses';
  /** Whether the group was in traffic (AddToLoadBalancer not suspended) just before AWS applied it. */
  readonly enabledBefore: boolean;
}

export interface FuzzProxy {
  readonly url: string;
  /** Every CreateAutoScalingGroup AWS applied, by group name. */
  readonly created: ReadonlyMap<string, number>;
  readonly trafficChanges: readonly TrafficChange[];
  /** Taps a trial from now on (its marker must not be part of another trial's). */
  tap(t: Tap): void;
  untap(t: Tap): void;
  /** While held, target-group health of the marker's target groups reads `unhealthy` (instances never up). */
  holdHealth(marker: string): void;
  releaseHealth(marker: string): void;
  close(): Promise<void>;
}

/** Calls that change something: the only ones whose answer can be lost after AWS acted. */
const MUTATING = /^(Create|Delete|Update|Set|Suspend|Resume|Register|Deregister|Terminate|Modify|Put|Run|Attach|Detach)/;

/** The names of the processes a Suspend/ResumeProcesses names; none named means all of them. */
function processesOf(form: URLSearchParams): string[] | 'all' {
  const named = [...form.entries()].filter(([k]) => k.startsWith('ScalingProcesses.member.')).map(([, v]) => v);
  return named.length ? named : 'all';
}

/** `kill` kills the worker (and has it started again); it resolves once the worker is dead. */
export async function startFuzzProxy(opts: { target: string; kill: () => Promise<void> }): Promise<FuzzProxy> {
  const target = new URL(opts.target);
  const taps: Tap[] = [];
  const held = new Set<string>();
  const created = new Map<string, number>();
  const trafficChanges: TrafficChange[] = [];
  // Reads moto directly (not through this proxy) for the state before a traffic change.
  const asg = new AutoScalingClient({
    region: 'us-east-1',
    endpoint: opts.target,
    credentials: { accessKeyId: 'fuzz', secretAccessKey: 'fuzz' },
    maxAttempts: 5,
  });
  const inTraffic = async (group: string): Promise<boolean> => {
    const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
    const g = out.AutoScalingGroups?.[0];
    return !(g?.SuspendedProcesses ?? []).some((p) => p.ProcessName === 'AddToLoadBalancer');
  };

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    const text = body.toString('utf8');
    const form = new URLSearchParams(req.method === 'POST' ? text : '');
    const action = form.get('Action') ?? '';
    const tap = taps.find((t) => text.includes(t.marker) || (req.url ?? '').includes(t.marker));
    let fault: InjectedFault | undefined;
    let kill = false;
    if (tap) {
      tap.calls++;
      const draw = tap.random();
      kill = tap.killAtCalls.has(tap.calls);
      if (!kill && draw < tap.faultRate) {
        // Mostly throttling, as AWS does; a lost answer only where AWS changes something.
        const share = draw / tap.faultRate;
        fault =
          share < 0.4
            ? 'throttle'
            : share < 0.55
              ? 'serverError'
              : share < 0.7
                ? 'unavailable'
                : share < 0.8 || !MUTATING.test(action)
                  ? 'reset'
                  : 'lostAnswer';
        tap.faults[fault]++;
      }
      if (kill) tap.kills.push({ call: tap.calls, action, mode: tap.killMode });
    }
    if (kill && tap?.killMode === 'beforeAct') {
      await opts.kill();
      req.socket.destroy();
      return;
    }
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'throttle' || fault === 'serverError' || fault === 'unavailable') {
      sendAwsError(req, res, fault);
      return;
    }
    const group = form.get('AutoScalingGroupName') ?? '';
    const processes = action === 'SuspendProcesses' || action === 'ResumeProcesses' ? processesOf(form) : [];
    const touchesTraffic = processes === 'all' || processes.includes('AddToLoadBalancer');
    const enabledBefore = touchesTraffic ? await inTraffic(group) : undefined;
    const answer = await forward(req, body);
    if (answer.status === 200) {
      if (action === 'CreateAutoScalingGroup') created.set(group, (created.get(group) ?? 0) + 1);
      if (enabledBefore !== undefined) trafficChanges.push({ group, action: action as TrafficChange['action'], enabledBefore });
    }
    if (kill || fault === 'lostAnswer') {
      // AWS acted; the answer never reaches the worker (and with `kill`, neither does anything else).
      if (kill) await opts.kill();
      req.socket.destroy();
      return;
    }
    let out = answer.body;
    if (action === 'DescribeTargetHealth' && [...held].some((m) => text.includes(m))) {
      out = Buffer.from(out.toString('utf8').replace(/<State>healthy<\/State>/g, '<State>unhealthy</State>'));
    }
    const headers = { ...answer.headers, 'content-length': String(out.length) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(out);
  };

  const server = await startLoopbackServer((req, res) => (body) => {
    handle(req, res, body).catch(() => req.socket.destroy());
  });
  return {
    url: server.url,
    created,
    trafficChanges,
    tap: (t) => taps.push(t),
    untap: (t) => {
      const i = taps.indexOf(t);
      if (i >= 0) taps.splice(i, 1);
    },
    holdHealth: (m) => held.add(m),
    releaseHealth: (m) => held.delete(m),
    close: () => {
      asg.destroy();
      return server.close();
    },
  };
}

/** The facade (in this process, no worker of its own), the proxy and the worker child behind it. */
export interface FuzzStack {
  readonly env: TestEnv;
  readonly proxy: FuzzProxy;
  readonly worker: RestartingWorker;
  readonly logDir: string;
}

/**
 * Starts a FuzzStack in a `beforeAll` and stops it in an `afterAll`. The tasks get a long retry
 * window (as in production, bounded): a kill mid-call costs an attempt's whole timeout, and the
 * tests judge what the deploy leaves, not how quickly it gives up.
 */
export function useFuzzStack(name: string): () => FuzzStack {
  let stack: FuzzStack | undefined;
  beforeAll(async () => {
    const payloadKey = randomBytes(32);
    const env = await startTestEnv({
      withWorker: false,
      payloadKey,
      settings: { ...testSettings, awsRetryWindowMs: 15 * 60_000, pollIntervalMs: 500 },
    });
    const logDir = mkdtempSync(path.join(os.tmpdir(), `bosun-${name}-`));
    // The proxy kills the worker that runs behind it: the worker is known only once the proxy is.
    const started: { worker?: RestartingWorker } = {};
    const proxy = await startFuzzProxy({
      target: process.env.BOSUN_TEST_AWS_ENDPOINT!,
      kill: () => started.worker?.killAndRestart() ?? Promise.resolve(),
    });
    const worker = await RestartingWorker.start(
      {
        address: process.env.BOSUN_TEST_TEMPORAL_ADDRESS!,
        taskQueue: env.taskQueue,
        awsEndpoint: proxy.url,
        bundlePath: process.env.BOSUN_TEST_WORKFLOW_BUNDLE!,
        payloadKey: payloadKey.toString('base64'),
      },
      logDir,
    );
    started.worker = worker;
    stack = { env, proxy, worker, logDir };
  }, 120_000);
  afterAll(async () => {
    await stack?.worker.stop();
    await stack?.proxy.close();
    await stack?.env.close();
    // No worker ran in this process, so nothing else ends the Temporal runtime the env installed.
    await Runtime.instance().shutdown();
  }, 60_000);
  return () => {
    if (!stack) throw new Error('the fuzz stack starts in beforeAll');
    return stack;
  };
}

/** GET /task/{id} until a history line matches or the task completes; the task as last read. */
export async function waitForLine(facadeUrl: string, id: string, line: RegExp, timeoutMs: number): Promise<TaskJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${facadeUrl}/task/${id}`);
    const task = (await res.json()) as TaskJson;
    if (task.history.some((h) => line.test(h.status)) || task.status.completed) return task;
    if (Date.now() > deadline)
      throw new Error(`task ${id}: no history line ${line} after ${timeoutMs} ms: ${JSON.stringify(task.history)}`);
    await sleep(300);
  }
}

/**
 * POSTs a person's action (approve, rollback, skipWait, cancel) until the facade accepts it: while
 * no worker runs, an Update cannot be accepted and the facade answers an error.
 */
export async function actOn(facadeUrl: string, id: string, action: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const res = await post(`${facadeUrl}/task/${id}/${action}`, { reason: 'fuzz' }).catch(() => ({ status: 0, body: undefined }));
    if (res.status === 200 || res.status === 202) return res.status;
    // An earlier attempt that timed out while the worker restarted was accepted after all: the
    // gate is no longer open (the outcome is judged from AWS afterwards either way).
    if (attempt > 1 && res.status === 409 && /already under way|no approval gate is open|has finished/.test(JSON.stringify(res.body)))
      return res.status;
    if (res.status >= 400 && res.status < 500) throw new Error(`${action} of ${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (Date.now() > deadline) throw new Error(`${action} of ${id} not accepted after ${timeoutMs} ms (last ${res.status})`);
    await sleep(500);
  }
}
