/**
 * The one way tests and benchmarks start a TypeScript program as a child process (the chaos run's
 * worker, facade and baseline, the benchmarks' worker child, `npm start` and the standalone
 * processes of the memory benchmark): started from TypeScript, watched, and signalled only by the
 * pid this module spawned. Never by name: other people's processes on the machine are none of the
 * run's business.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/tools';

/**
 * How a TypeScript entry point is started. `node --require tsx/cjs` runs the script in the
 * spawned process itself, so the pid we hold is the process we mean to kill; `npx tsx` puts an
 * npm process and a tsx launcher in front of it (a SIGKILL would hit the launcher and orphan the
 * real process) and starts slower (bench/results/chaos-full.md: a worker polls after 1.7 s, 1.3 s with node).
 */
export type Launcher = 'node-require-tsx' | 'node-import-tsx' | 'npx-tsx';

export function commandFor(
  launcher: Launcher,
  script: string,
  root = PROJECT_ROOT,
  nodeFlags: readonly string[] = [],
): { command: string; args: string[] } {
  const abs = path.resolve(root, script);
  if (launcher === 'npx-tsx') return { command: 'npx', args: ['--no-install', 'tsx', abs] };
  // `npm start` runs under `--import tsx`; the worker and facade under `--require tsx/cjs`.
  const loader = launcher === 'node-import-tsx' ? ['--import', 'tsx'] : ['--require', 'tsx/cjs'];
  return { command: process.execPath, args: [...nodeFlags, ...loader, abs] };
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TsChild {
  readonly name: string;
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  readonly exitInfo: ChildExit | undefined;
  /** Resolves when a line of the process's output contains `text`; rejects on exit or timeout. */
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
  /** SIGKILL to this pid, and wait for the exit. */
  kill(): Promise<ChildExit>;
  /** SIGTERM, then SIGKILL after `graceMs`, and wait for the exit. */
  stop(graceMs?: number): Promise<ChildExit>;
  /** Messages the child sends over its IPC channel (started with `ipc: true`). */
  onMessage(listener: (message: unknown) => void): void;
}

export interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly launcher?: Launcher;
  /** The checkout the script and its working directory are in (another checkout's, for a before/after). */
  readonly root?: string;
  /** Node flags before the loader (a heap limit, as an npm script gives it). */
  readonly nodeFlags?: readonly string[];
  /** An IPC channel, for a child that reports over `process.send`. */
  readonly ipc?: boolean;
}

/** Children still running, so they never outlive this process (a jest timeout, an uncaught error). */
const live = new Map<number, (sig: NodeJS.Signals) => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const signal of live.values()) signal('SIGKILL');
  });
}

/** Starts `script` with the project's TypeScript loader; output goes to `logFile` (appended). */
export function spawnTs(opts: SpawnOptions): TsChild {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'a' });
  const launcher = opts.launcher ?? 'node-require-tsx';
  const root = opts.root ?? PROJECT_ROOT;
  const { command, args } = commandFor(launcher, opts.script, root, opts.nodeFlags);
  // npx does not pass signals on to the tsx process it starts (measured: a SIGTERM to npx's pid
  // left tsx and node running), so that launcher gets its own process group, signalled whole.
  const group = launcher === 'npx-tsx';
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    env: { ...pickBaseEnv(), ...opts.env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${command} ${args.join(' ')})`);
  const pid = child.pid;
  const startedAt = Date.now();
  log.write(`\n[launcher] ${new Date().toISOString()} started ${opts.name} pid ${pid}: ${command} ${args.join(' ')}\n`);

  const watchers: { text: string; resolve: () => void }[] = [];
  let tail = '';
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    // Keep the last partial line so a marker split across chunks is still seen.
    tail = (tail + chunk.toString('utf8')).slice(-8192);
    for (const w of [...watchers]) {
      if (tail.includes(w.text)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let exitInfo: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      log.write(`\n[launcher] ${new Date().toISOString()} ${opts.name} pid ${pid} exited (code ${code}, signal ${signal})\n`);
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      log.write(`\n[launcher] ${opts.name}: ${err.message}\n`);
      exitInfo ??= { code: -1, signal: null };
      resolve(exitInfo);
    });
  });
  void exited.then(() => setTimeout(() => log.end(), 100));

  const signal = (sig: NodeJS.Signals) => {
    if (exitInfo) return;
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // Already gone.
    }
  };
  installExitHook();
  live.set(pid, signal);
  void exited.then(() => live.delete(pid));

  return {
    name: opts.name,
    pid,
    startedAt,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    waitForOutput(text, timeoutMs) {
      if (tail.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.splice(watchers.indexOf(entry), 1);
          reject(new Error(`${opts.name} (pid ${pid}) did not print '${text}' within ${timeoutMs} ms; see ${opts.logFile}`));
        }, timeoutMs);
        const entry = {
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        watchers.push(entry);
        void exited.then((e) => {
          if (!watchers.includes(entry)) return;
          watchers.splice(watchers.indexOf(entry), 1);
          clearTimeout(timer);
          reject(
            new Error(
              `${opts.name} (pid ${pid}) exited (code ${e.code}, signal ${e.signal}) before printing '${text}'; see ${opts.logFile}`,
            ),
          );
        });
      });
    },
    async kill() {
      signal('SIGKILL');
      return exited;
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    async stop(graceMs = 8000) {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
  };
}

/**
 * The environment a child starts from: the parent's minus Bosun's and AWS's own settings, so a
 * developer's shell (or jest's test env) cannot point a child at another stack.
 */
function pickBaseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(BOSUN_|TEMPORAL_|AWS_)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Polls `url` until it answers 2xx; bounded by `timeoutMs`, and fails early if `child` exits. */
export async function waitForHttp(url: string, timeoutMs: number, child?: TsChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child?.exitInfo) throw new Error(`${child.name} (pid ${child.pid}) exited before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last})`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// What tests and benchmarks read about processes and the machine from /proc: CPU seconds of a pid
// (utime + stime), its resident memory now and at its peak, and the whole machine's busy time, so a
// result can say which process burnt the CPU and how much of the machine was someone else's.

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's time fields (`getconf CLK_TCK`, almost always 100). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) a process has used so far; undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

export interface Memory {
  /** Resident set now (VmRSS). */
  readonly rssBytes: number;
  /** The kernel's high-water mark of the resident set (VmHWM) since the process started. */
  readonly peakRssBytes: number;
}

export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(/^(\w+):\s+(\d+) kB$/m.exec(status.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[2] ?? 0) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Busy and total CPU time of the whole machine (all cores), in seconds, from /proc/stat. */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busySeconds: (total - idle) / clockTicks(), totalSeconds: total / clockTicks() };
}

export function loadAverage(): readonly [number, number, number] {
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return [round(a, 2), round(b, 2), round(c, 2)];
}

export const cores = (): number => os.cpus().length;

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * CPU seconds per thread name of one process (/proc/<pid>/task/*), e.g. the Node main thread
 * (`node`), the workflow sandbox thread, libuv's pool, the SDK core's tokio threads: which thread
 * of a worker is busy says whether workflows, activities or the SDK's Rust core is the cost.
 */
export function threadCpuOf(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Node's worker threads (the workflow sandbox) share the main thread's name; tell them apart.
      const name = tid === String(pid) ? `${comm} (main thread)` : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
      out.set(name, (out.get(name) ?? 0) + seconds);
    } catch {
      // the thread ended between listing and reading
    }
  }
  return out;
}

/**
 * CPU seconds of this process plus its reaped children (utime + stime + cutime + cstime): over a
 * whole benchmark, whose Temporal, moto and worker children have exited by its end, this is all
 * the CPU the benchmark caused.
 */
export function ownCpuWithChildren(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
}
