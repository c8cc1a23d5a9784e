/**
 * Memory: resident memory of the Bosun process under `npm start` (worker + facade in one
 * process) and of a standalone worker (`npm run worker` with a prebuilt bundle), idle and
 * through a burst of createServerGroup tasks that Orca-style pollers follow to the end.
 *
 *   npm run bench -- --only memory                                  # both, 300 tasks each
 *   npm run bench -- --only memory --memory-tasks 1000 --memory-processes start
 *   options: --memory-processes start|worker, --memory-tasks n; --label name names the result files
 *
 * Every process runs on free loopback ports with a private state folder, so a developer's own
 * `npm start` is never touched; RSS is read from /proc/<pid>/status (VmRSS, and VmHWM for the
 * kernel's high-water mark, which also catches peaks between samples).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DEMO_APP } from '../infra/demo';
import { freePort } from '../infra/stack';
import type { BosunSystem } from '../test/support/bosun-system';
import { startBosunSystem } from '../test/support/bosun-system';
import { startStack, workflowBundle } from '../test/support/stack';
import { BENCH_ACCOUNTS } from '../test/support/worker-protocol';
import { PROJECT_ROOT } from '../infra/tools';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import { loadAverage, memoryOf, round, spawnTs } from '../test/support/child-process';
import type { Bench, BenchContext, BenchmarkResult, Table } from './lib/report';
import { atLeast, atMost, resultOf, wholeNumber } from './lib/report';
import { UsageWindow } from './lib/usage';
import { emulatorAl2023Image } from '../test/support/instances';

const MiB = 1024 * 1024;
const POLL_EVERY_MS = 5000;
const IDLE_MS = 10_000;
const BOUND_MS = 10 * 60_000;

interface Options {
  readonly only: readonly ('start' | 'worker')[];
  readonly tasks: number;
  readonly log: (message: string) => void;
}

interface Phase {
  readonly what: string;
  readonly pid: number;
  readonly readySeconds: number;
  /** VmRSS after IDLE_MS of nothing, before the burst. */
  readonly idleRssMiB: number;
  /** VmHWM before the burst: start-up, including any bundling in the process. */
  readonly startPeakMiB: number;
  /** VmHWM at the end: the peak over start-up and the burst. */
  readonly peakMiB: number;
  readonly burstPeakRssMiB: number;
  readonly afterRssMiB: number;
  readonly tasks: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly makespanSeconds: number;
  readonly othersPercentOfCore: number;
  readonly machinePercentOfCore: number;
  readonly facadePeakRssMiB?: number | undefined;
}

const mib = (bytes: number | undefined) => round((bytes ?? 0) / MiB);

/**
 * The V8 heap limit an npm script runs Node with (`--max-old-space-size=N` in its
 * package.json), so the benchmark measures the process the script starts; none = Node's default.
 */
function heapLimitOf(scriptName: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const flag = /--max-old-space-size=\d+/.exec(pkg.scripts?.[scriptName] ?? '')?.[0];
  return flag ? [flag] : [];
}

async function amiName(motoEndpoint: string): Promise<string> {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  try {
    return (await emulatorAl2023Image(ec2)).name;
  } finally {
    ec2.destroy();
  }
}

/** `tasks` createServerGroup tasks of the demo application (onboarded), one cluster each, polled every 5 s until done. */
async function burst(
  facadeUrl: string,
  ami: string,
  tasks: number,
): Promise<{ succeeded: number; failed: number; makespanSeconds: number; firstError?: string }> {
  const http = new FacadeHttp(facadeUrl, 64);
  const started = performance.now();
  try {
    const ids: string[] = [];
    const submit = await runClosedLoop(tasks, 32, async (i) => {
      const { id } = await http.submit([
        {
          createServerGroup: {
            credentials: 'test',
            application: DEMO_APP,
            stack: `mem${i}`,
            availabilityZones: { 'us-east-1': ['us-east-1a', 'us-east-1b'] },
            capacity: { min: 1, max: 3, desired: 2 },
            amiName: ami,
            instanceType: 't3.micro',
            waitForHealthyPercentage: 100,
          },
        },
      ]);
      ids.push(id);
    });
    if (submit.errors) throw new Error(`${submit.errors} of ${tasks} submissions failed: ${submit.firstError}`);
    let succeeded = 0;
    let failed = 0;
    let firstError: string | undefined;
    const end = started + BOUND_MS;
    await Promise.all(
      ids.map(async (id, i) => {
        await sleep((i * POLL_EVERY_MS) / ids.length);
        while (performance.now() < end) {
          const { task } = await http.task(id).catch(() => ({ task: undefined }));
          if (task?.status.completed) {
            if (task.status.failed) {
              failed++;
              firstError ??= JSON.stringify(task.history.slice(-1));
            } else succeeded++;
            return;
          }
          await sleep(POLL_EVERY_MS);
        }
      }),
    );
    return { succeeded, failed, makespanSeconds: round((performance.now() - started) / 1000), ...(firstError ? { firstError } : {}) };
  } finally {
    http.close();
  }
}

/** The whole `npm start` program in one process, as test/start.test.ts runs it. */
async function startPhase(opts: Options, dir: string): Promise<Phase> {
  const stateDir = path.join(dir, 'start-state');
  const [temporal, ui, moto, facade] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // On top of the launcher's clean environment.
  const env = {
    BOSUN_STATE_DIR: stateDir,
    BOSUN_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BOSUN_TEMPORAL_PORT: String(temporal),
    BOSUN_TEMPORAL_UI_PORT: String(ui),
    BOSUN_MOTO_PORT: String(moto),
    BOSUN_FACADE_PORT: String(facade),
  };
  const facadeUrl = `http://127.0.0.1:${facade}`;
  const t0 = performance.now();
  const child = spawnTs({
    name: 'npm start',
    script: 'infra/start.ts',
    launcher: 'node-import-tsx',
    nodeFlags: heapLimitOf('start'),
    env,
    logFile: path.join(dir, 'start.log'),
  });
  try {
    await child.waitForOutput('Bosun is ready', 180_000);
    return await measure(opts, 'npm start (worker + facade, one process)', child.pid, t0, facadeUrl, `http://127.0.0.1:${moto}`);
  } finally {
    await child.stop(30_000);
    // What the killed start may have left is in its stack record.
    const { StackRecord } = await import('../infra/stack-record');
    await StackRecord.down(stateDir, () => undefined).catch(() => undefined);
  }
}

/** A standalone worker with a prebuilt bundle, beside a standalone facade, on a local Temporal and moto. */
async function workerPhase(ctx: BenchContext, opts: Options, dir: string): Promise<Phase> {
  const stack = await startStack({ servers: { dir }, worker: false });
  let system: BosunSystem | undefined;
  try {
    const facadePort = await freePort();
    const bundle = await workflowBundle(ctx.runDir);
    const motoEndpoint = stack.servers!.moto!.endpoint;
    const t0 = performance.now();
    system = await startBosunSystem({
      temporalAddress: () => stack.servers!.temporal.address,
      awsEndpoint: motoEndpoint,
      taskQueue: stack.taskQueue,
      stateDir: path.join(dir, 'worker-state'),
      facadePort,
      facadeEnvs: [{ BOSUN_LOG_LEVEL: 'warn' }],
      workerNodeFlags: heapLimitOf('worker'),
      workflowBundle: bundle,
      accounts: JSON.stringify(BENCH_ACCOUNTS),
      // Production's defaults.
      pollInterval: '10s',
      retryWindow: '2h',
      startTimeoutMs: 120_000,
    });
    const [worker, facade] = system.processes();
    const phase = await measure(
      opts,
      'standalone worker (prebuilt bundle)',
      worker!.pid,
      t0,
      `http://127.0.0.1:${facadePort}`,
      motoEndpoint,
    );
    return { ...phase, facadePeakRssMiB: mib(memoryOf(facade!.pid)?.peakRssBytes) };
  } finally {
    await system?.stop();
    await stack.close();
  }
}

async function measure(opts: Options, what: string, pid: number, t0: number, facadeUrl: string, motoEndpoint: string): Promise<Phase> {
  const readySeconds = round((performance.now() - t0) / 1000);
  opts.log(`memory, ${what}: ready in ${readySeconds} s; idle for ${IDLE_MS / 1000} s`);
  await sleep(IDLE_MS);
  const idleRssMiB = mib(memoryOf(pid)?.rssBytes);
  const startPeakMiB = mib(memoryOf(pid)?.peakRssBytes);
  const ami = await amiName(motoEndpoint);
  opts.log(`memory, ${what}: idle RSS ${idleRssMiB} MiB (start-up peak ${startPeakMiB} MiB); ${opts.tasks} createServerGroup tasks`);
  const usage = UsageWindow.start([{ name: what, pid }]);
  const result = await burst(facadeUrl, ami, opts.tasks);
  const resources = usage.stop();
  const burstPeakRssMiB = resources.processes[0]?.peakRssMiB ?? NaN;
  await sleep(IDLE_MS);
  const afterRssMiB = mib(memoryOf(pid)?.rssBytes);
  const peakMiB = mib(memoryOf(pid)?.peakRssBytes);
  opts.log(
    `memory, ${what}: ${result.succeeded}/${opts.tasks} succeeded in ${result.makespanSeconds} s; peak ${peakMiB} MiB, after ${afterRssMiB} MiB${result.firstError ? `; first failure ${result.firstError}` : ''}`,
  );
  return {
    what,
    pid,
    readySeconds,
    idleRssMiB,
    startPeakMiB,
    peakMiB,
    burstPeakRssMiB,
    afterRssMiB,
    tasks: opts.tasks,
    succeeded: result.succeeded,
    failed: result.failed,
    makespanSeconds: result.makespanSeconds,
    othersPercentOfCore: resources.machine.othersPercentOfCore,
    machinePercentOfCore: resources.machine.busyPercentOfCore,
  };
}

async function runMemory(ctx: BenchContext, opts: Options): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-memory-'));
  const loadStart = loadAverage();
  const phases: Phase[] = [];
  try {
    if (opts.only.includes('start')) phases.push(await startPhase(opts, dir));
    if (opts.only.includes('worker')) phases.push(await workerPhase(ctx, opts, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const table: Table = {
    title: `Bosun process memory (MiB): idle, and through ${opts.tasks} createServerGroup tasks polled every 5 s`,
    headers: [
      'process',
      'ready s',
      'idle RSS',
      'start-up peak (VmHWM)',
      'burst peak RSS',
      'peak (VmHWM)',
      'RSS after',
      'tasks ok/failed',
      'makespan s',
      'machine CPU %',
      'other CPU %',
    ],
    rows: phases.map((p) => [
      p.what,
      p.readySeconds,
      p.idleRssMiB,
      p.startPeakMiB,
      p.burstPeakRssMiB,
      p.peakMiB,
      p.afterRssMiB,
      `${p.succeeded}/${p.failed}`,
      p.makespanSeconds,
      p.machinePercentOfCore,
      p.othersPercentOfCore,
    ]),
    notes: [
      `V8 heap limits from package.json: npm start ${heapLimitOf('start')[0] ?? "Node's default"}, npm run worker ${heapLimitOf('worker')[0] ?? "Node's default"}`,
      `load average ${loadStart.join(' ')} -> ${loadAverage().join(' ')}; CPU in % of one core during the burst (2 cores = 200%); other: everything but the measured process and this benchmark (Temporal, moto, the standalone facade, other people's work)`,
      ...phases
        .filter((p) => p.facadePeakRssMiB !== undefined)
        .map((p) => `standalone facade beside the worker: peak ${p.facadePeakRssMiB} MiB`),
    ],
  };
  return envelope.finish({
    name: 'memory',
    title: 'Memory: the Bosun process idle and through a burst of deploys',
    setup: { only: opts.only, tasks: opts.tasks, pollEveryMs: POLL_EVERY_MS, idleMs: IDLE_MS },
    tables: [table],
    bottleneck: phases.map(
      (p) => `${p.what}: peak ${p.peakMiB} MiB (VmHWM), ${p.succeeded}/${p.tasks} tasks succeeded in ${p.makespanSeconds} s.`,
    ),
    interferencePercentOfCore: Math.max(0, ...phases.map((p) => p.othersPercentOfCore)),
    data: phases,
  });
}

export const memory: Bench = {
  about: 'resident memory of npm start and of a standalone worker, idle and through a burst of deploys',
  standard: false,
  floorText: 'every task succeeded; npm start peak <= 512 MiB (measured 388.5 at 1,000 deploys); standalone worker peak <= 640 MiB (472.9)',
  options: {
    'memory-processes': { type: 'string', help: 'memory: start,worker (default both): npm start, a standalone worker' },
    'memory-tasks': { type: 'string', help: 'memory: createServerGroup tasks per process (default 300; quick 30)' },
  },
  run: (ctx, v) => {
    const processes = typeof v['memory-processes'] === 'string' ? v['memory-processes'].split(',') : undefined;
    if (processes && !processes.every((p): p is 'start' | 'worker' => p === 'start' || p === 'worker'))
      throw new Error(`--memory-processes takes start and/or worker, not ${processes.join(',')}`);
    return runMemory(ctx, {
      only: processes ?? ['start', 'worker'],
      tasks: wholeNumber(v, 'memory-tasks', 5000) ?? (ctx.quick ? 30 : 300),
      log: (m) => ctx.log(m),
    });
  },
  floor: (phases: Phase[]) =>
    phases.flatMap((p) => [
      atLeast(`${p.what}: tasks succeeded`, p.succeeded, p.tasks),
      atMost(`${p.what}: peak RSS MiB`, p.peakMiB, p.what.startsWith('npm start') ? 512 : 640),
    ]),
};
