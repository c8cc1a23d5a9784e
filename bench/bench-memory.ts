/**
 * Memory: resident memory of the Bosun process under `npm start` (worker + facade in one
 * process) and of a standalone worker (`npm run worker` with a prebuilt bundle), idle and
 * through a burst of createServerGroup tasks that Orca-style pollers follow to the end.
 *
 *   npx tsx bench/bench-memory.ts                        # both, 300 tasks each
 *   npx tsx bench/bench-memory.ts --tasks 1000 --only start
 *   options: --only start|worker, --tasks n, --max-cached n (BOSUN_MAX_CACHED_WORKFLOWS),
 *            --root <checkout> (run another checkout's entry points, e.g. main's, for a before/after),
 *            --label name (bench/results/bench-memory-<name>.{md,json}), --out dir
 *
 * Every process runs on free loopback ports with a private state folder, so a developer's own
 * `npm start` is never touched; RSS is read from /proc/<pid>/status (VmRSS, and VmHWM for the
 * kernel's high-water mark, which also catches peaks between samples).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { changeFlagFile, onboard } from '../client/routing';
import { DEMO_APP } from '../infra/demo';
import { freePort } from '../infra/stack';
import { startServers } from '../test/support/stack';
import { PROJECT_ROOT } from '../infra/tools';
import { FacadeHttp } from '../test/support/orca-client';
import { runClosedLoop, sleep } from './lib/load';
import { loadAverage, memoryOf, round, spawnTs, waitForHttp } from '../test/support/child-process';
import type { Table } from './lib/table';
import { renderMarkdown, renderText } from './lib/table';
import { UsageWindow } from './lib/usage';
import { emulatorAl2023Image } from '../test/support/instances';

const MiB = 1024 * 1024;
const POLL_EVERY_MS = 5000;
const IDLE_MS = 10_000;
const BOUND_MS = 10 * 60_000;

interface Options {
  readonly only: readonly ('start' | 'worker')[];
  readonly tasks: number;
  readonly maxCached: number | undefined;
  readonly root: string;
  readonly label: string | undefined;
  readonly out: string;
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
  readonly samples: readonly { readonly second: number; readonly rssMiB: number }[];
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = (value('--only') ?? 'start,worker').split(',');
  if (!only.every((o) => o === 'start' || o === 'worker')) throw new Error(`--only takes start and/or worker, not ${only.join(',')}`);
  const tasks = Number(value('--tasks') ?? 300);
  if (!Number.isInteger(tasks) || tasks < 1 || tasks > 5000) throw new Error('--tasks takes 1 to 5000');
  const cached = value('--max-cached');
  const label = value('--label');
  if (label !== undefined && !/^[a-z0-9-]+$/.test(label)) throw new Error('--label takes lower-case letters, digits and dashes');
  return {
    only: only,
    tasks,
    maxCached: cached === undefined ? undefined : Number(cached),
    root: path.resolve(value('--root') ?? PROJECT_ROOT),
    label,
    out: path.resolve(value('--out') ?? path.join(PROJECT_ROOT, 'bench', 'results')),
  };
}

const log = (m: string) => process.stderr.write(`[memory ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const mib = (bytes: number | undefined) => round((bytes ?? 0) / MiB);

/** Samples VmRSS of one pid every 250 ms. */
class RssSampler {
  readonly samples: { second: number; rssMiB: number }[] = [];
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 250);
  }
  sample(): number {
    const rss = mib(memoryOf(this.pid)?.rssBytes);
    this.samples.push({ second: round((performance.now() - this.started) / 1000), rssMiB: rss });
    return rss;
  }
  maxSince(second: number): number {
    return Math.max(0, ...this.samples.filter((s) => s.second >= second).map((s) => s.rssMiB));
  }
  now(): number {
    return round((performance.now() - this.started) / 1000);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The V8 heap limit an npm script of `root` runs Node with (`--max-old-space-size=N` in its
 * package.json), so the benchmark measures the process the script starts; none = Node's default.
 */
function heapLimitOf(root: string, scriptName: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
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

/** What both phases' processes get on top of the launcher's clean environment. */
function baseEnv(stateDir: string, opts: Options): Record<string, string> {
  return {
    BOSUN_STATE_DIR: stateDir,
    BOSUN_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(opts.maxCached !== undefined ? { BOSUN_MAX_CACHED_WORKFLOWS: String(opts.maxCached) } : {}),
  };
}

/** The whole `npm start` program in one process, as test/start.test.ts runs it. */
async function startPhase(opts: Options, dir: string): Promise<Phase> {
  const stateDir = path.join(dir, 'start-state');
  const [temporal, ui, moto, facade] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    ...baseEnv(stateDir, opts),
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
    root: opts.root,
    launcher: 'node-import-tsx',
    nodeFlags: heapLimitOf(opts.root, 'start'),
    env,
    logFile: path.join(dir, 'start.log'),
  });
  const sampler = new RssSampler(child.pid);
  try {
    await child.waitForOutput('Bosun is ready', 180_000);
    return await measure('npm start (worker + facade, one process)', child.pid, t0, sampler, facadeUrl, `http://127.0.0.1:${moto}`, opts);
  } finally {
    sampler.stop();
    await child.stop(30_000);
    // What the killed start may have left is in its stack record.
    const { StackRecord } = await import('../infra/stack-record');
    await StackRecord.down(stateDir, () => undefined).catch(() => undefined);
  }
}

/** A standalone worker with a prebuilt bundle, beside a standalone facade, on a local Temporal and moto. */
async function workerPhase(opts: Options, dir: string): Promise<Phase> {
  const stateDir = path.join(dir, 'worker-state');
  mkdirSync(stateDir, { recursive: true });
  const facadePort = await freePort();
  const servers = await startServers({ dir, dbFile: path.join(dir, 'temporal.db'), bundle: true });
  const { temporal, moto: started, bundlePath } = servers;
  const bundle = bundlePath!;
  const moto = started!;
  const env = {
    ...baseEnv(stateDir, opts),
    TEMPORAL_ADDRESS: temporal.address,
    AWS_ENDPOINT_URL: moto.endpoint,
    BOSUN_FACADE_PORT: String(facadePort),
  };
  await changeFlagFile({
    file: path.join(stateDir, 'flags', 'routing.json'),
    edit: (doc) => onboard(doc, DEMO_APP),
    who: 'bench-memory',
    action: 'onboard',
    args: { application: DEMO_APP },
    reason: 'the memory benchmark deploys the demo application',
  });
  const facadeUrl = `http://127.0.0.1:${facadePort}`;
  const launch = (name: string, script: string, extra: Record<string, string>, heap: string[] = []) =>
    spawnTs({ name, script, root: opts.root, nodeFlags: heap, env: { ...env, ...extra }, logFile: path.join(dir, `${name}.log`) });
  const facade = launch('facade', 'client/facade/main.ts', {});
  const t0 = performance.now();
  const worker = launch(
    'worker',
    'worker/main.ts',
    { BOSUN_WORKFLOW_BUNDLE: bundle, BOSUN_LOG_LEVEL: 'info' },
    heapLimitOf(opts.root, 'worker'),
  );
  const sampler = new RssSampler(worker.pid);
  try {
    await worker.waitForOutput('worker polling', 120_000);
    await waitForHttp(`${facadeUrl}/health`, 60_000, facade);
    const phase = await measure('standalone worker (prebuilt bundle)', worker.pid, t0, sampler, facadeUrl, moto.endpoint, opts);
    return { ...phase, facadePeakRssMiB: mib(memoryOf(facade.pid)?.peakRssBytes) };
  } finally {
    sampler.stop();
    await worker.stop(30_000);
    await facade.stop(30_000);
    await servers.stop();
  }
}

async function measure(
  what: string,
  pid: number,
  t0: number,
  sampler: RssSampler,
  facadeUrl: string,
  motoEndpoint: string,
  opts: Options,
): Promise<Phase> {
  const readySeconds = round((performance.now() - t0) / 1000);
  log(`${what}: ready in ${readySeconds} s; idle for ${IDLE_MS / 1000} s`);
  await sleep(IDLE_MS);
  const idleRssMiB = sampler.sample();
  const startPeakMiB = mib(memoryOf(pid)?.peakRssBytes);
  const ami = await amiName(motoEndpoint);
  log(`${what}: idle RSS ${idleRssMiB} MiB (start-up peak ${startPeakMiB} MiB); ${opts.tasks} createServerGroup tasks`);
  const burstFrom = sampler.now();
  const usage = UsageWindow.start([{ name: what, pid }]);
  const result = await burst(facadeUrl, ami, opts.tasks);
  const resources = usage.stop();
  const burstPeakRssMiB = sampler.maxSince(burstFrom);
  await sleep(IDLE_MS);
  const afterRssMiB = sampler.sample();
  const peakMiB = mib(memoryOf(pid)?.peakRssBytes);
  log(
    `${what}: ${result.succeeded}/${opts.tasks} succeeded in ${result.makespanSeconds} s; peak ${peakMiB} MiB, after ${afterRssMiB} MiB${result.firstError ? `; first failure ${result.firstError}` : ''}`,
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
    samples: sampler.samples.filter((_, i) => i % 4 === 0),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-memory-'));
  const startedAt = new Date().toISOString();
  const loadStart = loadAverage();
  const phases: Phase[] = [];
  try {
    if (opts.only.includes('start')) phases.push(await startPhase(opts, dir));
    if (opts.only.includes('worker')) phases.push(await workerPhase(opts, dir));
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
      `BOSUN_MAX_CACHED_WORKFLOWS ${opts.maxCached ?? "unset (the checkout's default)"}; checkout ${opts.root}; V8 heap limits from its package.json: npm start ${heapLimitOf(opts.root, 'start')[0] ?? "Node's default"}, npm run worker ${heapLimitOf(opts.root, 'worker')[0] ?? "Node's default"}`,
      `load average ${loadStart.join(' ')} -> ${loadAverage().join(' ')}; CPU in % of one core during the burst (2 cores = 200%); other: everything but the measured process and this benchmark (Temporal, moto, the standalone facade, other people's work)`,
      ...phases
        .filter((p) => p.facadePeakRssMiB !== undefined)
        .map((p) => `standalone facade beside the worker: peak ${p.facadePeakRssMiB} MiB`),
    ],
  };
  process.stdout.write(`\n${renderText(table)}\n`);
  const name = `bench-memory${opts.label ? `-${opts.label}` : ''}`;
  mkdirSync(opts.out, { recursive: true });
  const command = `npx tsx bench/bench-memory.ts ${process.argv.slice(2).join(' ')}`.trim();
  writeFileSync(
    path.join(opts.out, `${name}.md`),
    `# Bosun memory\n\nRun: \`${command}\`, ${startedAt} to ${new Date().toISOString()}. ${os.cpus().length} cores, ${round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}.\n\n${renderMarkdown(table, '##')}\n`,
  );
  writeFileSync(path.join(opts.out, `${name}.json`), `${JSON.stringify({ command, startedAt, options: opts, phases }, null, 2)}\n`);
  log(`wrote ${path.join(opts.out, `${name}.md`)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-memory: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
