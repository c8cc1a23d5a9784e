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

/** The flag file exists but is not valid: Bosun will not edit it blind. */
export class InvalidFlagFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${file} is not a valid flag file (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'InvalidFlagFileError';
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
  if (!result.ok) throw new InvalidFlagFileError(file, result.problems);
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
  | { readonly changed: true; readonly before: RoutingSummary; readonly after: RoutingSummary; readonly file: string; readonly audit: AuditEntry };

/**
 * Read, validate, edit, validate again, write atomically, audit. Nothing is written (and nothing
 * audited) when the edit changes no rule. Throws InvalidFlagFileError when the current file is
 * invalid, and whatever `edit` throws (FlagDocumentError) when the edit cannot be made.
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
    if (!check.ok) throw new InvalidFlagFileError(`${file} (after ${input.action})`, check.problems);
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

/** An exclusive lock file next to the flag file, so two people's changes never overwrite each other. */
async function lock(file: string): Promise<() => Promise<void>> {
  const lockFile = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockFile).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`${lockFile} is held by another change (for ${Math.round(age / 1000)} s); try again, or remove it if no bosun command is running`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
