/**
 * The client side of the chaos run, behaving as Orca does against Clouddriver: POST with a
 * clientRequestId (retried on connection errors and 5xx with the same id, so no duplicates),
 * poll `GET /task/{id}`, call `POST /task/{id}:resume` when the task failed retryably, and give
 * up at a deadline. One deliberate shortcut: Orca fails a stage after 30 consecutive 404s; here
 * the first 404 after the task was accepted counts as lost (the answer would not change).
 */
import type { OpKind, OpRequest } from './workload';
import { isDeploy } from './workload';
import { sleep } from '../../test/support/child-process';

export type OpStatus = 'succeeded' | 'failed' | 'lost' | 'rejected';

export interface OpOutcome {
  readonly status: OpStatus;
  readonly taskId: string | undefined;
  /** For failed: `cause: message` of the task's EXCEPTION; for lost/rejected: what was seen. */
  readonly reason: string | undefined;
  readonly retryable: boolean;
  /** Group names the deploy reports (`serverGroupNameByRegion`), for deploys that succeeded. */
  readonly deployedGroups: Readonly<Record<string, string>>;
  readonly postAttempts: number;
  readonly resumes: number;
  /** Polls that got no usable answer (connection refused, 5xx): the facade or its backend was down. */
  readonly pollErrors: number;
  readonly acceptedAtMs: number | undefined;
  readonly finishedAtMs: number;
  readonly submittedAtMs: number;
  /** The task's last history lines as the client last saw them (for failed and lost tasks). */
  readonly lastHistory: readonly string[];
}

export interface OrcaClientOptions {
  readonly pollMs: number;
  /** Attempts of one POST (first + retries) on connection errors and 5xx. */
  readonly postAttempts: number;
  /** How many times a retryably failed task is resumed before Orca gives up. */
  readonly maxResumes: number;
  /** Per HTTP request. */
  readonly requestTimeoutMs: number;
}

interface TaskJson {
  id: string;
  status: { completed: boolean; failed: boolean; retryable: boolean; status: string };
  resultObjects: Record<string, unknown>[];
  history: { phase: string; status: string }[];
}

type HttpAnswer = { kind: 'answer'; status: number; body: unknown } | { kind: 'error'; message: string };

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Keep the text: error pages are not always JSON.
    }
    return { kind: 'answer', status: res.status, body };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { kind: 'error', message: e.cause?.code ?? e.name ?? e.message };
  }
}

function exceptionOf(task: TaskJson): { reason: string; retryable: boolean } {
  const ex = task.resultObjects.find((r) => r.type === 'EXCEPTION');
  if (!ex)
    return {
      reason: `failed without an EXCEPTION object (last history line: ${task.history.at(-1)?.status ?? 'none'})`,
      retryable: task.status.retryable,
    };
  const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  return { reason: `${text(ex.cause, 'Exception')}: ${text(ex.message, '')}`, retryable: Boolean(ex.retryable) };
}

/**
 * Runs one Orca stage task to its end: succeeded, failed (with the EXCEPTION's reason), lost
 * (404 after acceptance, or still running at the deadline) or rejected (never accepted).
 */
export async function runOperation(
  baseUrl: () => string,
  req: OpRequest,
  kind: OpKind,
  clientRequestId: string,
  deadlineMs: number,
  opts: OrcaClientOptions,
): Promise<OpOutcome> {
  const submittedAtMs = Date.now();
  let postAttempts = 0;
  let resumes = 0;
  let pollErrors = 0;
  let taskId: string | undefined;
  let acceptedAtMs: number | undefined;
  let last: TaskJson | undefined;
  const done = (status: OpStatus, reason: string | undefined, extra: Partial<OpOutcome> = {}): OpOutcome => ({
    status,
    taskId,
    reason,
    retryable: false,
    deployedGroups: {},
    postAttempts,
    resumes,
    pollErrors,
    acceptedAtMs,
    finishedAtMs: Date.now(),
    submittedAtMs,
    lastHistory: status === 'succeeded' || !last ? [] : last.history.slice(-8).map((h) => `${h.phase}: ${h.status}`),
    ...extra,
  });

  // Submit. Orca retries the POST; the same clientRequestId makes every retry land on one task.
  let lastPost = '';
  for (let backoff = 250; postAttempts < opts.postAttempts && Date.now() < deadlineMs; backoff = Math.min(backoff * 2, 4000)) {
    postAttempts++;
    const url = `${baseUrl()}${req.path}?clientRequestId=${encodeURIComponent(clientRequestId)}`;
    const answer = await request(url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body) }, opts.requestTimeoutMs);
    if (answer.kind === 'answer' && answer.status === 200) {
      taskId = (answer.body as { id?: string }).id;
      acceptedAtMs = Date.now();
      break;
    }
    lastPost = answer.kind === 'error' ? answer.message : `HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
    if (answer.kind === 'answer' && answer.status < 500) return done('rejected', `POST answered ${lastPost}`);
    await sleep(backoff);
  }
  if (!taskId) return done('rejected', `POST not accepted after ${postAttempts} attempts (last: ${lastPost})`);

  // Poll until the task is over, as MonitorKatoTask does.
  for (let polls = 0; polls < 100_000 && Date.now() < deadlineMs; polls++) {
    await sleep(opts.pollMs);
    const answer = await request(`${baseUrl()}/task/${encodeURIComponent(taskId)}`, { method: 'GET' }, opts.requestTimeoutMs);
    if (answer.kind === 'error' || answer.status >= 500) {
      pollErrors++;
      continue;
    }
    if (answer.status === 404) return done('lost', 'GET /task answered 404 after the task was accepted (its executor lost it)');
    if (answer.status !== 200) {
      pollErrors++;
      continue;
    }
    const task = answer.body as TaskJson;
    last = task;
    if (!task.status.completed) continue;
    if (!task.status.failed) {
      const groups = deployedGroupsOf(task);
      // For deploys Orca keeps polling until the result names the new groups.
      if (isDeploy(kind) && Object.keys(groups).length === 0) continue;
      return done('succeeded', undefined, { deployedGroups: groups });
    }
    const ex = exceptionOf(task);
    if (task.status.retryable && resumes < opts.maxResumes) {
      // Orca sends the same X-SPINNAKER-* headers on a resume; the facade authorizes it on them.
      const r = await request(
        `${baseUrl()}/task/${encodeURIComponent(taskId)}:resume`,
        { method: 'POST', headers: req.headers },
        opts.requestTimeoutMs,
      );
      if (r.kind === 'answer' && r.status === 200) {
        resumes++;
        continue;
      }
      // A resume that did not go through is tried again at the next poll.
      if (r.kind === 'error' || r.status >= 500) continue;
    }
    return done('failed', ex.reason, { retryable: ex.retryable });
  }
  return done('lost', `not finished by the deadline (last seen: ${last ? `${last.status.status}` : 'no answer'})`);
}

function deployedGroupsOf(task: TaskJson): Record<string, string> {
  for (const r of task.resultObjects) {
    const byRegion = r.serverGroupNameByRegion;
    if (byRegion && typeof byRegion === 'object') return byRegion as Record<string, string>;
  }
  return {};
}
