/**
 * The tests' Orca: POSTs operations to the facade with Spinnaker's headers and polls
 * `GET /task/{id}` until the task is completed, the way Orca's KatoService does.
 */

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
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed };
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
