/**
 * The one Orca client of the tests and benchmarks: POSTs operations to the facade with Spinnaker's
 * headers and polls `GET /task/{id}` until the task is completed, the way Orca's KatoService does.
 * Three ways to drive it: `post`/`pollTask`/`runTask` (the tests, through fetch), `FacadeHttp`
 * (the benchmarks: keep-alive sockets of their own, each request timed) and `runOperation` (the
 * chaos run: clientRequestId, POST retries, `:resume`, deadlines, as Orca behaves under faults).
 */
import http from 'node:http';
import { sleep } from './child-process';

/** What Orca sends by default: a user, and the accounts that user may write to. */
export const ORCA_HEADERS: Readonly<Record<string, string>> = {
  'x-spinnaker-user': 'test@example.com',
  'x-spinnaker-accounts': 'test,prod,staging',
};

export interface PostResult {
  readonly status: number;
  readonly body: unknown;
}

/** POSTs `body` (JSON, or a string sent as it is) with Orca's headers; `headers` add to or override them. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ORCA_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: parseBody(text) };
}

/** POSTs operations the facade must refuse as bad input: expects the 400 and answers the errors it names. */
export async function badRequestErrors(url: string, body: unknown, headers: Record<string, string> = {}): Promise<string[] | undefined> {
  const res = await post(url, body, headers);
  expect(res.status).toBe(400);
  return (res.body as { errors?: string[] }).errors;
}

/** JSON where the answer is JSON; the text as it is otherwise (error pages are not always JSON). */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface TaskJson {
  id: string;
  requestId: string | null;
  status: { completed: boolean; failed: boolean; retryable: boolean; phase: string; status: string };
  history: { phase: string; status: string }[];
  resultObjects: Record<string, unknown>[];
}

/** Polls `GET /task/{id}` like Orca (here every 200 ms) until the task is completed. */
export async function pollTask(facadeUrl: string, id: string, timeoutMs = 30_000): Promise<TaskJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${facadeUrl}/task/${id}`);
    if (res.status !== 200) throw new Error(`GET /task/${id} answered ${res.status}: ${await res.text()}`);
    const task = (await res.json()) as TaskJson;
    if (task.status.completed) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} not completed after ${timeoutMs} ms: ${JSON.stringify(task.history)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RunTaskOptions {
  /** Where to POST; `/aws/ops` (the list form) unless told. */
  readonly path?: string;
  /** Added to or overriding Orca's headers. */
  readonly headers?: Record<string, string>;
}

export interface RanTask {
  readonly id: string;
  readonly task: TaskJson;
}

/** Submits `body`, insists the facade took it (200), and polls the task until it is completed. */
export async function runTask(facadeUrl: string, body: unknown, opts: RunTaskOptions = {}): Promise<RanTask> {
  const path = opts.path ?? '/aws/ops';
  const submit = await post(`${facadeUrl}${path}`, body, opts.headers);
  if (submit.status !== 200) throw new Error(`POST ${path} answered ${submit.status}, not 200: ${JSON.stringify(submit.body)}`);
  const id = (submit.body as { id: string }).id;
  return { id, task: await pollTask(facadeUrl, id) };
}

/**
 * Polls a running task (every 100 ms, for up to 10 s) until a history line satisfies `seen`:
 * the way to know a workflow has reached a step before cancelling it there.
 */
export async function waitForHistory(facadeUrl: string, id: string, seen: (status: string) => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const t = (await (await fetch(`${facadeUrl}/task/${id}`)).json()) as Pick<TaskJson, 'history'>;
    if (t.history.some((h) => seen(h.status))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The benchmarks' client: persistent keep-alive connections of its own (at most `maxSockets`), JSON
 * bodies, Orca's headers, each request timed from writing it to the answer's last byte. Loopback only.
 */
export interface TimedAnswer {
  readonly status: number;
  readonly body: string;
  /** From writing the request to the last byte of the answer. */
  readonly ms: number;
}

export class FacadeHttp {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    if (this.base.hostname !== '127.0.0.1') throw new Error(`benchmarks talk to loopback only, not ${this.base.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<TimedAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...ORCA_HEADERS,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} got no answer in 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST /aws/ops; throws unless the facade took the task. */
  async submit(operations: unknown): Promise<{ id: string; ms: number }> {
    const res = await this.request('POST', '/aws/ops', operations);
    if (res.status !== 200) throw new Error(`POST /aws/ops answered ${res.status}: ${res.body.slice(0, 300)}`);
    return { id: (JSON.parse(res.body) as { id: string }).id, ms: res.ms };
  }

  async task(id: string): Promise<{ task: TaskJson; ms: number }> {
    const res = await this.request('GET', `/task/${encodeURIComponent(id)}`);
    if (res.status !== 200) throw new Error(`GET /task/${id} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return { task: JSON.parse(res.body) as TaskJson, ms: res.ms };
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The chaos run's Orca, behaving as Orca does against Clouddriver: POST with a
 * clientRequestId (retried on connection errors and 5xx with the same id, so no duplicates),
 * poll `GET /task/{id}`, call `POST /task/{id}:resume` when the task failed retryably, and give
 * up at a deadline. One deliberate shortcut: Orca fails a stage after 30 consecutive 404s; here
 * the first 404 after the task was accepted counts as lost (the answer would not change).
 */

/** How Orca's KatoService names one server group (of the test account, in us-east-1) in an operation's body. */
export function orcaGroupRef(name: string, user = 'test@example.com') {
  return {
    serverGroupName: name,
    asgName: name,
    region: 'us-east-1',
    regions: ['us-east-1'],
    credentials: 'test',
    cloudProvider: 'aws',
    user,
  };
}

/** Where and what Orca posts (the chaos workload builds these). */
export interface OrcaRequest {
  readonly path: string;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

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

export type HttpAnswer = { kind: 'answer'; status: number; body: unknown } | { kind: 'error'; message: string };

/** One request that never throws: an answer, or what went wrong on the way (`ECONNREFUSED`, a timeout). */
export async function request(url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { kind: 'answer', status: res.status, body: parseBody(await res.text()) };
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
  req: OrcaRequest,
  /** A deploy: Orca keeps polling until the result names the new groups. */
  deploy: boolean,
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
      if (deploy && Object.keys(groups).length === 0) continue;
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
