/**
 * The cluster's server processes: started detached with their output in a log file (so they
 * outlive `npm run cluster` and keep logging), recorded by pid and exact command line in
 * `<dir>/cluster.json`, and signalled only through that record, so `down` stops exactly what
 * was started and never a process that merely reused a pid.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { commandLineOf } from '../stack-record';

export { commandLineOf };

const entrySchema = z.object({ name: z.string(), pid: z.number().int().positive(), commandLine: z.string() });
export const clusterRecordSchema = z.object({
  startedAt: z.string(),
  address: z.string(),
  namespace: z.string(),
  tls: z.boolean(),
  /** Environment that points Bosun at this cluster (TEMPORAL_ADDRESS, TEMPORAL_TLS_*). */
  env: z.record(z.string(), z.string()),
  processes: z.array(entrySchema),
});
export type ClusterRecordData = z.infer<typeof clusterRecordSchema>;
export type ProcessEntry = z.infer<typeof entrySchema>;

export function recordFile(dir: string): string {
  return path.join(dir, 'cluster.json');
}

export function readClusterRecord(dir: string): ClusterRecordData | undefined {
  let text: string;
  try {
    text = readFileSync(recordFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = clusterRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeClusterRecord(dir: string, record: ClusterRecordData): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${recordFile(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2));
  renameSync(tmp, recordFile(dir));
}

export function removeClusterRecord(dir: string): void {
  rmSync(recordFile(dir), { force: true });
}

export function isRunning(entry: { pid: number; commandLine: string }): boolean {
  return commandLineOf(entry.pid) === entry.commandLine;
}

export interface LaunchOptions {
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
}

/** Starts a server process in its own process group, writing into its log file; returns its entry. */
export async function launch(name: string, command: string, args: readonly string[], opts: LaunchOptions): Promise<ProcessEntry> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  writeFileSync(fd, `\n[bosun cluster] ${new Date().toISOString()} starting ${name}: ${command} ${args.join(' ')}\n`);
  const child = spawn(command, [...args], {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  // The command line as ps shows it, read once the exec has happened (it names the binary, not node).
  let commandLine: string | undefined;
  for (let i = 0; i < 100; i++) {
    commandLine = commandLineOf(child.pid);
    if (!commandLine || commandLine.includes(path.basename(command))) break;
    await sleep(20);
  }
  if (!commandLine) throw new Error(`${name} exited at once; see ${opts.logFile}`);
  return { name, pid: child.pid, commandLine };
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(entry: ProcessEntry, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isRunning(entry)) return;
  try {
    process.kill(entry.pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(entry)) return;
    await sleep(100);
  }
  if (isRunning(entry)) process.kill(entry.pid, 'SIGKILL');
  while (isRunning(entry)) await sleep(50);
}

/** `kill -9`, and wait until the process is gone. */
export async function killHard(entry: ProcessEntry): Promise<void> {
  if (!isRunning(entry)) return;
  try {
    process.kill(entry.pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isRunning(entry)) await sleep(20);
}

/** Polls `probe` until it answers true; fails early when `entry` has exited. */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  entry?: ProcessEntry,
  logFile?: string,
): Promise<void> {
  const started = Date.now();
  let lastError = '';
  while (Date.now() - started < timeoutMs) {
    if (entry && !isRunning(entry)) throw new Error(`${what} exited before it was ready${logFile ? `; see ${logFile}` : ''}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(
    `${what} was not ready after ${timeoutMs} ms (last probe error: ${lastError || 'none'})${logFile ? `; see ${logFile}` : ''}`,
  );
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
