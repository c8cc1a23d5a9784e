/**
 * Reading and changing the flag file on disk. A change is made under a lock file, written to a
 * temp file in the same directory, fsync'd and renamed over the flag file, so a watcher (or a
 * crash) only ever sees the old or the new version, never half of one. Every change appends one
 * JSON line to `routing-audit.log` next to the flag file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RoutingSummary } from './flag-document';
import { bumpVersion, describe, emptyDocument, formatFlagDocument, sameRules } from './flag-document';
import type { FlagDocument } from './flag-schema';
import { validateFlagDocument, validateFlagText } from './validate';

export const AUDIT_LOG_NAME = 'routing-audit.log';

/**
 * A flag file that cannot be used, naming the file and every problem: missing or invalid when the
 * facade starts, or invalid when an edit would read or write it (Bosun never edits it blind).
 */
export class FlagFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid flag file (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
    this.name = 'FlagFileError';
  }
}

export interface LoadedFlagFile {
  readonly file: string;
  readonly doc: FlagDocument;
  /** False when the file does not exist yet and `doc` is emptyDocument(). */
  readonly exists: boolean;
}

/** Reads and strictly validates the flag file; a missing file reads as emptyDocument(). */
export async function readFlagFile(file: string): Promise<LoadedFlagFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, doc: emptyDocument(), exists: false };
    throw err;
  }
  const result = validateFlagText(text);
  if (!result.ok) throw new FlagFileError(file, result.problems);
  return { file, doc: result.doc, exists: true };
}

export interface AuditEntry {
  readonly time: string;
  readonly who: string;
  readonly action: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly reason: string;
  readonly file: string;
  readonly version: string | undefined;
  readonly before: RoutingSummary;
  readonly after: RoutingSummary;
}

export interface ChangeFlagFileInput {
  readonly file: string;
  readonly edit: (doc: FlagDocument) => FlagDocument;
  readonly who: string;
  readonly action: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly reason: string;
  readonly now?: () => Date;
}

export type ChangeResult =
  | { readonly changed: false; readonly before: RoutingSummary; readonly file: string }
  | {
      readonly changed: true;
      readonly before: RoutingSummary;
      readonly after: RoutingSummary;
      readonly file: string;
      readonly audit: AuditEntry;
    };

/**
 * Read, validate, edit, validate again, write atomically, audit. Nothing is written (and nothing
 * audited) when the edit changes no rule. Throws FlagFileError when the current file is
 * invalid, and whatever `edit` throws (FlagEditError) when the edit cannot be made.
 */
export async function changeFlagFile(input: ChangeFlagFileInput): Promise<ChangeResult> {
  const file = path.resolve(input.file);
  await mkdir(path.dirname(file), { recursive: true });
  const release = await lock(file);
  try {
    const current = await readFlagFile(file);
    const before = describe(current.doc);
    const edited = input.edit(current.doc);
    if (current.exists && sameRules(current.doc, edited)) return { changed: false, before, file };
    const next = bumpVersion(edited);
    const check = validateFlagDocument(next);
    if (!check.ok) throw new FlagFileError(`${file} (after ${input.action})`, check.problems);
    await writeAtomically(file, formatFlagDocument(next));
    const after = describe(next);
    const audit: AuditEntry = {
      time: (input.now ?? (() => new Date()))().toISOString(),
      who: input.who,
      action: input.action,
      args: input.args,
      reason: input.reason,
      file,
      version: after.version,
      before,
      after,
    };
    await appendFile(path.join(path.dirname(file), AUDIT_LOG_NAME), `${JSON.stringify(audit)}\n`, { flag: 'a' });
    return { changed: true, before, after, file, audit };
  } finally {
    await release();
  }
}

/** Temp file in the same directory (rename is atomic only within one file system), fsync, rename, fsync the directory. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The rename itself is durable only once the directory entry is on disk.
  const dirHandle = await open(dir, fsConstants.O_RDONLY).catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

const LOCK_WAIT_MS = 5_000;
/** A lock older than this belongs to a process that died holding it. */
const STALE_LOCK_MS = 30_000;
/** The guard that lets one process break a stale lock is held for milliseconds; older, its holder died. */
const STALE_GUARD_MS = 10_000;

const ageOf = (file: string): Promise<number | undefined> =>
  stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => undefined,
  );

/**
 * An exclusive lock file next to the flag file, so two people's changes never overwrite each other.
 * The lock holds a token of its own: release removes the lock only if it is still this one.
 */
async function lock(file: string): Promise<() => Promise<void>> {
  const lockFile = `${file}.lock`;
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      return async () => {
        const current = await readFile(lockFile, 'utf8').catch(() => undefined);
        if (current === token) await rm(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = (await ageOf(lockFile)) ?? 0;
      if (age > STALE_LOCK_MS) {
        await breakStaleLock(lockFile);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${lockFile} is held by another change (for ${Math.round(age / 1000)} s); try again, or remove it if no bosun command is running`,
        );
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
    }
  }
}

/**
 * Removes a stale lock, without the race of "two waiters see it stale, one removes it and takes a
 * fresh lock, the other then removes that fresh lock": only the process that creates the guard
 * file exclusively may remove the lock, and it looks at the lock's age again while holding the
 * guard, so a lock taken meanwhile (young) is left alone.
 */
export async function breakStaleLock(lockFile: string): Promise<void> {
  const guard = `${lockFile}.break`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(guard, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else is breaking it. A guard this old was left by a process that died in between.
    if (((await ageOf(guard)) ?? 0) > STALE_GUARD_MS) await rm(guard, { force: true });
    await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    const age = await ageOf(lockFile);
    if (age !== undefined && age > STALE_LOCK_MS) await rm(lockFile, { force: true });
  } finally {
    await handle.close();
    await rm(guard, { force: true });
  }
}
