/**
 * Running tasks as one list read per second, instead of one describe per poll.
 *
 * Orca polls every running task every few seconds: at 1,000 running tasks that is 200
 * DescribeWorkflowExecution calls a second, each one a trip through Temporal's frontend and
 * history services, and the p99 of GET /task is then Temporal's own tail under load. A running
 * task's Clouddriver JSON comes from its memo, start time and run id, all of which Temporal's
 * visibility store also returns for a list. So while tasks are being polled, each facade replica
 * lists the running Bosun tasks of its task queue once per `refreshMs` and answers polls of them
 * from that list, with no Temporal call at all.
 *
 * What it costs, and why it stays correct:
 * - A running task's JSON can be up to one refresh (plus the list's own time and Temporal's
 *   visibility lag) old; a list older than two cycles (refresh plus the list's time) is not used
 *   at all. Orca polls every 5 s, so a status line or a completion reaches it at most about a
 *   second later.
 * - Only running tasks are answered from it. A task not in the list (new, finished, on another
 *   queue, or beyond `maxTasks`) is described as before, and a run this replica has already seen
 *   closed (its closed-task cache) is never answered as running again.
 * - It reads only while polls come: after `idleMs` without one it stops, so an idle facade
 *   costs Temporal nothing. When a list fails, polls are described as before until one succeeds.
 * - An entry is decoded (its memo through the payload codec) only when polled, and again only
 *   when its bytes change: the SDK's list() decodes every entry at once, which holds the event
 *   loop for the whole page and puts the polls waiting behind it in the tail (bench status
 *   --quick). Small pages let polls be answered between them.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { SearchAttributes } from '../../domain/search-attributes';
import type { Logger } from '../../runtime';
import type { FacadeMetrics } from './metrics';
import { decodeMemo, runningTasksQuery, searchAttributeValue } from './temporal-data';

/** A running task as the list returned it, decoded: what `task-read.ts` renders (as it renders a describe). */
export interface RunningTaskInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly type: string;
  readonly startTime: Date;
  readonly memo: Record<string, unknown> | undefined;
  /** The BosunAccount search attribute: who may act on tasks started before their access memo existed. */
  readonly primaryAccount: string | undefined;
}

type RawEntry = temporal.api.workflow.v1.IWorkflowExecutionInfo;

export interface RunningTasksOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** Time between the end of one list and the start of the next; 0 turns the list off. */
  readonly refreshMs: number;
  /** Tasks one list may hold; the rest are described per poll. */
  readonly maxTasks: number;
  /** The list stops this long after the last poll. */
  readonly idleMs?: number | undefined;
  /** Deadline of one whole list (all its pages). */
  readonly callTimeoutMs: number;
  /** Which workflow types are Bosun tasks. */
  readonly isTaskType: (type: string) => boolean;
  readonly logger: Logger;
  readonly metrics?: FacadeMetrics | undefined;
  /** Entries per list page (50): small pages let polls be answered between them. */
  readonly pageSize?: number | undefined;
  /** Decodes one entry (memo through the payload codec); the SDK's conversion unless a test replaces it. */
  readonly decode?: ((raw: RawEntry) => Promise<RunningTaskInfo>) | undefined;
}

/** Lookup outcomes, as counted in bosun_running_tasks_lookups_total. */
export type RunningLookup = 'hit' | 'absent' | 'stale' | 'closed';

/** One task of the latest list: its run, a digest of what it renders from, and Temporal's entry until decoded. */
interface Listed {
  readonly runId: string;
  readonly digest: string;
  raw: RawEntry | undefined;
}

export class RunningTasks {
  /**
   * The latest list. Entries are decoded when polled, not when listed (decoding 1,000 memos at
   * once would hold the event loop for tens of ms), and Temporal's entry is kept only until then:
   * a list that kept every entry for a second would have the garbage collector copy megabytes
   * each time (pauses that show in the polls' tail with 1,000 tasks).
   */
  private entries = new Map<string, Listed>();
  /** Decoded entries, kept while their digest (run, memo, search attributes) is unchanged across lists. */
  private readonly decoded = new Map<string, { readonly digest: string; readonly info: RunningTaskInfo }>();
  /** When the list now in `entries` was asked for; -Infinity before the first. */
  private takenAt = Number.NEGATIVE_INFINITY;
  /** How long the latest list took (all pages): with many tasks a cycle is longer than refreshMs. */
  private listMs = 0;
  private lastPoll = 0;
  private loop: Promise<void> | undefined;
  private closed = false;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private failing = false;
  private readonly idleMs: number;
  private readonly query: string;
  private readonly decode: (raw: RawEntry) => Promise<RunningTaskInfo>;

  constructor(private readonly opts: RunningTasksOptions) {
    this.idleMs = opts.idleMs ?? 30_000;
    this.query = runningTasksQuery(opts.taskQueue);
    this.decode = opts.decode ?? ((raw) => decodeListed(opts.client, raw));
  }

  get enabled(): boolean {
    return this.opts.refreshMs > 0;
  }

  /**
   * The running task `id` from the latest list, or undefined when it must be described: not in a
   * fresh list, or its run is one `isClosedRun` knows has ended. Each call keeps the list going.
   */
  async lookup(id: string, isClosedRun: (runId: string) => boolean): Promise<RunningTaskInfo | undefined> {
    if (!this.enabled || this.closed) return undefined;
    const now = Date.now();
    this.lastPoll = now;
    this.loop ??= this.run();
    // Fresh while no more than about two cycles (list, then the pause) old.
    const stale = now - this.takenAt > 2 * (this.opts.refreshMs + this.listMs);
    const listed = stale ? undefined : this.entries.get(id);
    const outcome: RunningLookup = stale ? 'stale' : !listed ? 'absent' : isClosedRun(listed.runId) ? 'closed' : 'hit';
    this.opts.metrics?.runningLookups.inc({ outcome });
    if (!listed || outcome !== 'hit') return undefined;
    const known = this.decoded.get(id);
    if (known?.digest === listed.digest) return known.info;
    const raw = listed.raw;
    // Kept for every entry whose decoding is not in `decoded`; never missing while `listed` is current.
    if (!raw) return undefined;
    const info = await this.decode(raw);
    // A newer list may have come in meanwhile: only the current entry's decoding is kept, so
    // `decoded` always matches what the current list says.
    if (this.entries.get(id) === listed) {
      this.decoded.set(id, { digest: listed.digest, info });
      listed.raw = undefined;
    }
    return info;
  }

  /** Stops listing; lookups answer undefined from now on. */
  async close(): Promise<void> {
    this.closed = true;
    this.sleeping?.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed && Date.now() - this.lastPoll < this.idleMs) {
        await this.refresh();
        await this.sleep(this.opts.refreshMs);
      }
    } finally {
      this.loop = undefined;
    }
  }

  private async refresh(): Promise<void> {
    const { client, maxTasks, metrics } = this.opts;
    const startedAt = Date.now();
    const next = new Map<string, Listed>();
    let complete = true;
    try {
      await client.withDeadline(startedAt + this.opts.callTimeoutMs, async () => {
        let nextPageToken: Uint8Array | null | undefined;
        do {
          const page = await client.workflowService.listWorkflowExecutions({
            namespace: client.options.namespace,
            query: this.query,
            // Decoding a page of 200 entries held the event loop for up to 11 ms (1,000 tasks, idle
            // machine); pages of 50 for up to 4 ms. Polls that arrive meanwhile wait.
            pageSize: this.opts.pageSize ?? 50,
            nextPageToken,
          });
          for (const raw of page.executions ?? []) {
            const id = raw.execution?.workflowId;
            const runId = raw.execution?.runId;
            if (!id || !runId || !this.opts.isTaskType(raw.type?.name ?? '')) continue;
            if (next.size >= maxTasks) {
              complete = false;
              return;
            }
            const digest = digestOf(raw);
            next.set(id, { runId, digest, raw: this.decoded.get(id)?.digest === digest ? undefined : raw });
          }
          nextPageToken = page.nextPageToken;
        } while (nextPageToken && nextPageToken.length > 0);
      });
    } catch (err) {
      metrics?.runningRefreshes.inc({ outcome: 'failed' });
      // One line per failing streak: Temporal being away is logged by every request already.
      if (!this.failing) this.opts.logger.warn({ err }, 'listing running tasks failed; polls describe each task until it works');
      this.failing = true;
      return;
    }
    if (this.failing) this.opts.logger.info({ tasks: next.size }, 'listing running tasks works again');
    this.failing = false;
    this.entries = next;
    this.takenAt = startedAt;
    this.listMs = Date.now() - startedAt;
    for (const id of this.decoded.keys()) if (!next.has(id)) this.decoded.delete(id);
    metrics?.runningRefreshes.inc({ outcome: complete ? 'complete' : 'truncated' });
    metrics?.runningListed.set(next.size);
    metrics?.runningRefreshSeconds.observe((Date.now() - startedAt) / 1000);
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      // A facade being closed must not wait for the next list; close() wakes it.
      timer.unref();
      this.sleeping = { timer, wake };
    });
  }
}

/** One list entry decoded as the SDK decodes a describe (temporal-data.ts). */
async function decodeListed(client: Client, raw: RawEntry): Promise<RunningTaskInfo> {
  const memo = await decodeMemo(client, raw.memo?.fields);
  const accountValue = searchAttributeValue(client, raw.searchAttributes?.indexedFields?.[SearchAttributes.account.name]);
  const seconds = raw.startTime?.seconds;
  const startSeconds = seconds == null ? 0 : typeof seconds === 'number' ? seconds : seconds.toNumber();
  return {
    workflowId: raw.execution?.workflowId ?? '',
    runId: raw.execution?.runId ?? '',
    type: raw.type?.name ?? '',
    startTime: new Date(startSeconds * 1000 + Math.floor((raw.startTime?.nanos ?? 0) / 1e6)),
    memo,
    primaryAccount:
      typeof accountValue === 'string'
        ? accountValue
        : Array.isArray(accountValue)
          ? String(accountValue[0] ?? '') || undefined
          : undefined,
  };
}

/**
 * What a task's JSON is rendered from, as one digest: its run, start time, memo and search
 * attributes, byte for byte. Equal digests mean an earlier decoding still holds.
 */
function digestOf(raw: RawEntry): string {
  const h = createHash('sha256');
  h.update(`${raw.execution?.runId ?? ''}|${String(raw.startTime?.seconds ?? '')}.${raw.startTime?.nanos ?? 0}|${raw.type?.name ?? ''}`);
  for (const [part, fields] of [
    ['memo', raw.memo?.fields],
    ['sa', raw.searchAttributes?.indexedFields],
  ] as const) {
    for (const k of Object.keys(fields ?? {}).sort()) {
      const p = fields![k]!;
      h.update(`|${part}:${k}:`);
      for (const m of Object.keys(p.metadata ?? {}).sort()) {
        h.update(`${m}=`);
        h.update(p.metadata![m]!);
        h.update(';');
      }
      h.update(`${p.data?.length ?? 0}:`);
      if (p.data) h.update(p.data);
    }
  }
  return h.digest('base64');
}
