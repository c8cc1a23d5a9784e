/**
 * An OpenFeature server provider that evaluates a flag file (flagd's format) with flagd-core.
 * It exists because the stock flagd provider's file mode polls every ~5 s, keeps a broken edit
 * silently, and never recovers from a file that was missing or broken at start (FLAGS.md). This
 * one watches the file's directory (so temp-file + rename writes are seen at once), validates
 * every version strictly, keeps the last good rules when a new version is bad and says so
 * (STALE), and recovers without a restart when the file is fixed.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import type { EvaluationContext, JsonValue, Logger as OpenFeatureLogger, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/server-sdk';
import type { Logger } from '../../runtime';
import type { RoutingSummary } from './flag-document';
import { describe, summaryLine } from './flag-document';
import { FlagFileError } from './flag-store';
import { MAX_FLAG_FILE_BYTES, validateFlagText } from './validate';

export const FLAG_STATES = { ready: 'READY', stale: 'STALE', error: 'ERROR' } as const;
/** READY: the file's current version is in force. STALE: the last good version is, the current one is refused. ERROR: no good version yet. */
export type FlagState = (typeof FLAG_STATES)[keyof typeof FLAG_STATES];

export const ON_INVALID_AT_START = { fail: 'fail', allLegacy: 'all-legacy' } as const;
export type OnInvalidAtStart = (typeof ON_INVALID_AT_START)[keyof typeof ON_INVALID_AT_START];

export interface FlagFileStatus {
  readonly state: FlagState;
  readonly file: string;
  /** When the rules in force were loaded; undefined until a good version was seen. */
  readonly loadedAt: Date | undefined;
  /** Why the current version of the file is refused; undefined when it is in force. */
  readonly lastError: string | undefined;
  /** Good versions loaded after start. */
  readonly reloads: number;
  /** Versions refused after start (each distinct content counts once). */
  readonly reloadErrors: number;
}

export interface ReloadEvent {
  readonly result: 'ok' | 'rejected';
  readonly problems: readonly string[];
}

export interface FlagFileProviderOptions {
  readonly file: string;
  readonly logger: Logger;
  /** 'fail' (default): a missing or broken file at start fails start-up. 'all-legacy': start with no rules (everything to legacy) and keep watching. */
  readonly onInvalidAtStart?: OnInvalidAtStart;
  /** Quiet period after the last file-system event before reading; editors write in bursts. */
  readonly debounceMs?: number;
  /** Safety-net re-read, for file systems where fs.watch misses events (NFS, some containers). */
  readonly recheckIntervalMs?: number;
}

export const FLAG_FILE_PROVIDER_NAME = 'bosun-flag-file';

/** An OpenFeature provider over a flagd-format file: strict validation, directory watch, last good rules kept on a bad edit. */
export class FlagFileProvider implements Provider {
  readonly metadata = { name: FLAG_FILE_PROVIDER_NAME } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();

  readonly file: string;
  private readonly logger: Logger;
  private readonly onInvalidAtStart: OnInvalidAtStart;
  private readonly debounceMs: number;
  private readonly recheckIntervalMs: number;
  private readonly core: FlagdCore;
  /** Held apart from `core` because only the storage's setConfigurations takes flagd's strict flag. */
  private readonly storage: MemoryStorage;
  private readonly coreLogger: OpenFeatureLogger;

  private state: FlagState = FLAG_STATES.error;
  private loadedAt: Date | undefined;
  private lastError: string | undefined;
  private reloads = 0;
  private reloadErrors = 0;
  private currentSummary: RoutingSummary | undefined;
  /**
   * What the last look at the file found (its text, or why it could not be read), so the
   * safety-net timer and duplicate watch events do not re-process, re-count or re-log it.
   */
  private lastSeen: string | undefined;
  /** Problems already logged since the last good version: each distinct one is logged once. */
  private readonly loggedProblems = new Set<string>();
  private readonly listeners = new Set<(event: ReloadEvent) => void>();
  /** Flags added, removed or changed by the last good version (for CONFIGURATION_CHANGED). */
  private flagsChanged: string[] = [];

  private watcher: FSWatcher | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private loading: Promise<void> = Promise.resolve();
  private started = false;
  private closed = false;

  constructor(options: FlagFileProviderOptions) {
    this.file = path.resolve(options.file);
    this.logger = options.logger.child({ file: this.file });
    this.onInvalidAtStart = options.onInvalidAtStart ?? ON_INVALID_AT_START.fail;
    this.debounceMs = options.debounceMs ?? 50;
    this.recheckIntervalMs = options.recheckIntervalMs ?? 5_000;
    this.coreLogger = {
      error: (...args: unknown[]) => this.logger.error(args.map(String).join(' ')),
      warn: (...args: unknown[]) => this.logger.warn(args.map(String).join(' ')),
      info: () => undefined,
      debug: () => undefined,
    };
    this.storage = new MemoryStorage(this.coreLogger);
    this.core = new FlagdCore(this.storage, this.coreLogger);
  }

  /** Loads the file; see `onInvalidAtStart` for what a missing or broken file does. */
  async initialize(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const read = await this.read();
    this.lastSeen = fingerprint(read);
    const problems = read.ok ? this.apply(read.text) : [read.problem];
    if (problems.length > 0) {
      this.lastError = problems.join('; ');
      if (this.onInvalidAtStart === ON_INVALID_AT_START.fail) {
        this.closed = true;
        throw new FlagFileError(this.file, problems);
      }
      this.logger.error({ problems }, 'flag file cannot be used; everything goes to legacy until it is fixed');
      for (const p of problems) this.loggedProblems.add(p);
      // The SDK marks the provider READY when initialize resolves; tell it the truth right after.
      setImmediate(() => {
        if (!this.closed && this.state === FLAG_STATES.error) this.events.emit(ProviderEvents.Error, { message: this.lastError });
      });
    }
    this.startWatching();
  }

  async onClose(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
    this.interval = undefined;
    this.debounce = undefined;
    await this.loading;
  }

  /**
   * Where the file stands. Not called `status`: the Provider interface reserves that name for a
   * (deprecated) field the SDK now keeps itself.
   */
  fileStatus(): FlagFileStatus {
    return {
      state: this.state,
      file: this.file,
      loadedAt: this.loadedAt,
      lastError: this.lastError,
      reloads: this.reloads,
      reloadErrors: this.reloadErrors,
    };
  }

  /** The rules in force, in the platform team's words; undefined before a good version was loaded. */
  summary(): RoutingSummary | undefined {
    return this.currentSummary;
  }

  /** Called after every reload attempt after start (metrics); returns a function that unsubscribes. */
  addReloadListener(listener: (event: ReloadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the file again now (tests, and the safety-net timer); resolves when the reload is done. */
  reload(): Promise<void> {
    this.loading = this.loading
      .then(() => this.reloadNow())
      .catch((err: unknown) => {
        this.logger.error({ err }, 'flag file reload failed unexpectedly');
      });
    return this.loading;
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.core.resolveBooleanEvaluation(flagKey, defaultValue, context, this.coreLogger);
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.core.resolveStringEvaluation(flagKey, defaultValue, context, this.coreLogger);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.core.resolveNumberEvaluation(flagKey, defaultValue, context, this.coreLogger);
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.core.resolveObjectEvaluation(flagKey, defaultValue, context, this.coreLogger);
  }

  // --- internals -----------------------------------------------------------------------------

  private async read(): Promise<FileRead> {
    try {
      // A huge file is refused unread, like any broken edit: the last good rules stay.
      const { size } = await stat(this.file);
      if (size > MAX_FLAG_FILE_BYTES) return { ok: false, problem: `the file is ${size} bytes; the limit is ${MAX_FLAG_FILE_BYTES}` };
      return { ok: true, text: await readFile(this.file, 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, problem: 'the file does not exist' };
      return { ok: false, problem: `the file cannot be read (${code ?? (err as Error).message})` };
    }
  }

  /** Validates and, when good, puts `text` in force. Returns the problems (empty when applied). */
  private apply(text: string): string[] {
    let result: ReturnType<typeof validateFlagText>;
    try {
      result = validateFlagText(text);
    } catch (err) {
      // Nothing in a file may take the provider down; a file that breaks validation is refused.
      return [`the file could not be validated: ${(err as Error).message}`];
    }
    if (!result.ok) return [...result.problems];
    try {
      this.flagsChanged = this.storage.setConfigurations(text, true);
    } catch (err) {
      return [`flagd-core refuses the file: ${(err as Error).message}`];
    }
    this.currentSummary = describe(result.doc);
    this.loadedAt = new Date();
    this.lastError = undefined;
    this.state = FLAG_STATES.ready;
    this.loggedProblems.clear();
    this.logger.info({ summary: summaryLine(this.currentSummary), version: this.currentSummary.version }, 'flag file loaded');
    return [];
  }

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    const read = await this.read();
    if (this.closed) return;
    const seen = fingerprint(read);
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    const previous = this.state;
    const problems = read.ok ? this.apply(read.text) : [read.problem];

    if (problems.length === 0) {
      this.reloads++;
      if (previous !== FLAG_STATES.ready) this.events.emit(ProviderEvents.Ready, { message: 'flag file is valid again' });
      this.events.emit(ProviderEvents.ConfigurationChanged, { message: 'flag file reloaded', flagsChanged: this.flagsChanged });
      this.notify({ result: 'ok', problems: [] });
      return;
    }
    this.reloadErrors++;
    this.lastError = problems.join('; ');
    const fresh = problems.filter((p) => !this.loggedProblems.has(p));
    for (const p of fresh) this.loggedProblems.add(p);
    if (previous === FLAG_STATES.error) {
      // Never had good rules: still everything to legacy.
      if (fresh.length > 0) this.logger.error({ problems }, 'flag file still cannot be used; everything goes to legacy');
      this.events.emit(ProviderEvents.Error, { message: this.lastError });
    } else {
      if (fresh.length > 0) {
        this.logger.warn(
          { problems },
          `flag file refused (${problems.length} problem${problems.length === 1 ? '' : 's'}); keeping the rules loaded at ${this.loadedAt?.toISOString()}`,
        );
      }
      this.state = FLAG_STATES.stale;
      this.events.emit(ProviderEvents.Stale, { message: this.lastError });
    }
    this.notify({ result: 'rejected', problems });
  }

  private notify(event: ReloadEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'reload listener failed');
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, this.debounceMs);
  }

  private startWatching(): void {
    this.watchDirectory();
    this.interval = setInterval(() => {
      // The directory may not have existed at start (all-legacy mode), or its watcher may have died.
      if (!this.watcher) this.watchDirectory();
      void this.reload();
    }, this.recheckIntervalMs);
    this.interval.unref();
  }

  /**
   * Watches the directory, not the file: a rename onto the file replaces its inode, and a watch
   * on the old inode would never fire again.
   */
  private watchDirectory(): void {
    if (this.closed || this.watcher) return;
    const base = path.basename(this.file);
    try {
      const watcher = watch(path.dirname(this.file), { persistent: false }, (_event, filename) => {
        // `..data` and friends: a Kubernetes ConfigMap volume swaps a symlinked directory
        // instead of touching the file, so those names mean the file may have changed too.
        if (filename === null || filename === base || filename.startsWith('..')) this.schedule();
      });
      watcher.on('error', (err) => {
        this.logger.warn({ err }, 'watching the flag file directory failed; the periodic re-check continues');
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
      // An edit between the first read and the watch would otherwise wait for the safety net.
      this.schedule();
    } catch (err) {
      this.logger.debug(
        {
          directory: path.dirname(this.file),
          error: (err as Error).message,
        },
        'cannot watch the flag file directory yet; the periodic re-check will retry',
      );
    }
  }
}

type FileRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };

function fingerprint(read: FileRead): string {
  return read.ok ? `text:${read.text}` : `unreadable:${read.problem}`;
}
