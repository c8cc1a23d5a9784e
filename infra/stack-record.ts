/**
 * The record of the servers a local stack started (`<stateDir>/stack.json`), so that servers whose
 * owner died without stopping them (SIGKILL, a crash the process could not catch, a closed
 * terminal) are found and stopped by the next `npm start` or `npm run stack`, with a message that
 * says so, instead of holding the ports and the SQLite file for ever.
 *
 * A process is stopped only when its pid still runs the exact command line recorded when it was
 * started, so a reused pid is never signalled.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const entrySchema = z.object({ name: z.string(), pid: z.number().int().positive(), commandLine: z.string() });
const recordSchema = z.object({
  owner: z.object({ pid: z.number().int().positive(), commandLine: z.string(), startedAt: z.string() }),
  processes: z.array(entrySchema),
});
type Record = z.infer<typeof recordSchema>;
type Entry = z.infer<typeof entrySchema>;

/** Another live process owns the stack in this state folder. */
export class StackInUseError extends Error {
  override readonly name = 'StackInUseError';
}

/** The command line of a running process, or undefined when no such process runs. */
export function commandLineOf(pid: number): string | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  try {
    const out = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim() || undefined;
  } catch {
    return undefined; // ps exits 1 when the pid is gone
  }
}

function isRunning(entry: { pid: number; commandLine: string }): boolean {
  return commandLineOf(entry.pid) === entry.commandLine;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
async function terminate(entry: Entry, graceMs: number): Promise<void> {
  const gone = () => !isRunning(entry);
  try {
    process.kill(entry.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (gone()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!gone()) process.kill(entry.pid, 'SIGKILL');
  while (!gone()) await new Promise((r) => setTimeout(r, 50));
}

/** The ownership record of one state folder's local stack. */
export class StackRecord {
  private constructor(
    private readonly file: string,
    private record: Record,
  ) {}

  /**
   * Claims the stack of `stateDir` for this process. Servers left by an owner that is gone are
   * stopped first and reported through `say`; a live owner is refused with StackInUseError.
   */
  static async claim(stateDir: string, say: (message: string) => void): Promise<StackRecord> {
    const file = path.join(stateDir, 'stack.json');
    await StackRecord.reapOrphans(stateDir, say);
    const self = commandLineOf(process.pid) ?? process.argv.join(' ');
    const record = new StackRecord(file, {
      owner: { pid: process.pid, commandLine: self, startedAt: new Date().toISOString() },
      processes: [],
    });
    record.write();
    return record;
  }

  /**
   * Stops the servers an earlier owner left running (its pid is gone or runs another program)
   * and removes the record; refuses while that owner is alive. Returns what was stopped.
   */
  static async reapOrphans(stateDir: string, say: (message: string) => void): Promise<string[]> {
    const file = path.join(stateDir, 'stack.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    const parsed = recordSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      say(`ignoring ${file}: it is not a stack record Bosun wrote`);
      rmSync(file, { force: true });
      return [];
    }
    const { owner, processes } = parsed.data;
    if (owner.pid !== process.pid && isRunning(owner)) {
      throw new StackInUseError(
        `another Bosun stack (pid ${owner.pid}, started ${owner.startedAt}) is running with the state folder ${stateDir}; ` +
          'stop it (Ctrl-C in its terminal, or kill that pid), or set BOSUN_STATE_DIR and the ports for a second one',
      );
    }
    const left = processes.filter(isRunning);
    if (left.length > 0) {
      say(
        `found ${left.map((p) => `${p.name} (pid ${p.pid})`).join(' and ')} left running by an earlier Bosun stack ` +
          `(pid ${owner.pid}, started ${owner.startedAt}) that did not shut down; stopping ${left.length === 1 ? 'it' : 'them'}`,
      );
      await Promise.all(left.map((p) => terminate(p, 8000)));
    }
    rmSync(file, { force: true });
    return left.map((p) => p.name);
  }

  /**
   * Stops the stack of `stateDir` whoever owns it: a live owner (npm start, npm run stack) gets
   * SIGTERM and shuts down in order; whatever it or a dead owner left is then stopped here.
   */
  static async down(stateDir: string, say: (message: string) => void): Promise<string[]> {
    const file = path.join(stateDir, 'stack.json');
    let parsed: ReturnType<typeof recordSchema.safeParse> | undefined;
    try {
      parsed = recordSchema.safeParse(safeJson(readFileSync(file, 'utf8')));
    } catch {
      return [];
    }
    const owner = parsed.success ? parsed.data.owner : undefined;
    if (owner && owner.pid !== process.pid && isRunning(owner)) {
      say(`asking the stack's owner (pid ${owner.pid}) to shut down`);
      await terminate({ name: 'owner', ...owner }, 30_000);
    }
    return StackRecord.reapOrphans(stateDir, say);
  }

  /** Records a server this owner started (call right after the spawn). */
  add(name: string, pid: number): void {
    const commandLine = commandLineOf(pid);
    if (!commandLine) return; // already gone: nothing to reap later
    this.record = { ...this.record, processes: [...this.record.processes, { name, pid, commandLine }] };
    this.write();
  }

  /** Forgets a server this owner has stopped. */
  remove(pid: number): void {
    this.record = { ...this.record, processes: this.record.processes.filter((p) => p.pid !== pid) };
    this.write();
  }

  /** Removes the record: everything was stopped. */
  release(): void {
    rmSync(this.file, { force: true });
  }

  private write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.record, null, 2));
    renameSync(tmp, this.file);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
