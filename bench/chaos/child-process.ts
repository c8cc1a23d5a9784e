/**
 * The chaos run's own child processes (worker, facade, baseline): started from TypeScript,
 * watched, and signalled only by the pid this module spawned. Never by name: other people's
 * processes on the machine are none of the run's business.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/tools';

/**
 * How a TypeScript entry point is started. `node --require tsx/cjs` runs the script in the
 * spawned process itself, so the pid we hold is the process we mean to kill; `npx tsx` puts an
 * npm process and a tsx launcher in front of it (a SIGKILL would hit the launcher and orphan the
 * real process) and starts slower (measured in the report: `bench/chaos/startup.ts`).
 */
export type Launcher = 'node-require-tsx' | 'npx-tsx';

export function commandFor(launcher: Launcher, script: string): { command: string; args: string[] } {
  const abs = path.resolve(PROJECT_ROOT, script);
  return launcher === 'node-require-tsx'
    ? { command: process.execPath, args: ['--require', 'tsx/cjs', abs] }
    : { command: 'npx', args: ['--no-install', 'tsx', abs] };
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
}

export interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly launcher?: Launcher;
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
  const { command, args } = commandFor(launcher, opts.script);
  // npx does not pass signals on to the tsx process it starts (measured: a SIGTERM to npx's pid
  // left tsx and node running), so that launcher gets its own process group, signalled whole.
  const group = launcher === 'npx-tsx';
  const child: ChildProcess = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...pickBaseEnv(), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${command} ${args.join(' ')})`);
  const pid = child.pid;
  const startedAt = Date.now();
  log.write(`\n[chaos] ${new Date().toISOString()} started ${opts.name} pid ${pid}: ${command} ${args.join(' ')}\n`);

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
      log.write(`\n[chaos] ${new Date().toISOString()} ${opts.name} pid ${pid} exited (code ${code}, signal ${signal})\n`);
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      log.write(`\n[chaos] ${opts.name}: ${err.message}\n`);
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
 * developer's shell (or jest's test env) cannot point a chaos child at another stack.
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
