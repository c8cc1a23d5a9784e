/**
 * The baseline process: a minimal Clouddriver-shaped HTTP server (the same POST and GET task API
 * as Bosun's facade) in front of the in-process executor of `baseline-executor.ts`. Tasks live in
 * this process's memory only, like a Clouddriver instance's in-flight operations: kill the
 * process and they are gone (GET answers 404). Configured by environment:
 * BASELINE_PORT, AWS_ENDPOINT_URL, BASELINE_ACCOUNTS (JSON), BASELINE_POLL_INTERVAL_MS.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createActivities, createAwsClientProvider } from '../../activities';
import type { AwsAccount } from '../../activities';
import { parseSubmission } from '../../client/facade/submission';
import { renderTask, TaskState } from '../../domain/task';
import type { BaselineTask } from '../../test/support/baseline-executor';
import { createBaselineExecutor } from '../../test/support/baseline-executor';

const OPS_PATH = /^\/(?:([A-Za-z0-9_-]+)\/)?ops(?:\/([A-Za-z0-9_.-]+))?\/?$/;
const TASK_PATH = /^\/task\/([^/:]+)\/?$/;
const RESUME_PATH = /^\/task\/([^/:]+):resume\/?$/;

function main(): void {
  const port = Number(process.env.BASELINE_PORT);
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!port || !endpoint) throw new Error('BASELINE_PORT and AWS_ENDPOINT_URL are required');
  const accounts = JSON.parse(process.env.BASELINE_ACCOUNTS ?? '[{"name":"test","accountId":"123456789012"}]') as AwsAccount[];
  const pollIntervalMs = Number(process.env.BASELINE_POLL_INTERVAL_MS ?? 1000);
  // The SDK's defaults, as legacy Clouddriver relies on them: standard retry mode, 3 attempts.
  const aws = createAwsClientProvider({ accounts, endpoint, emulator: true, maxAttempts: 3 });
  const executor = createBaselineExecutor(createActivities({ aws }), pollIntervalMs);
  const tasks = new Map<string, BaselineTask>();
  const byRequestId = new Map<string, string>();
  const ownerId = `${randomUUID()}@baseline-${process.pid}`;

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const render = (t: BaselineTask) =>
    renderTask({
      id: t.id,
      ownerId,
      startTimeMs: t.startTimeMs,
      memo: { history: t.history, requestId: t.requestId },
      state: t.state === 'running' ? TaskState.running : t.state === 'succeeded' ? TaskState.succeeded : TaskState.failed,
      resultObjects: t.resultObjects,
      error: t.error,
    });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://baseline.local');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ops = OPS_PATH.exec(url.pathname);
      if (req.method === 'POST' && ops) {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          send(res, 400, { error: 'Bad Request', message: 'body is not JSON' });
          return;
        }
        const submission = parseSubmission(body, ops[2]);
        if (!submission.ok) {
          send(res, 400, { error: 'Bad Request', message: submission.errors.join('; ') });
          return;
        }
        const requestId = url.searchParams.get('clientRequestId') || undefined;
        const existing = requestId ? byRequestId.get(requestId) : undefined;
        if (existing) {
          send(res, 200, { id: existing, resourceUri: `/task/${existing}` });
          return;
        }
        const task: BaselineTask = {
          id: randomUUID(),
          requestId,
          startTimeMs: Date.now(),
          history: [{ phase: 'ORCHESTRATION', status: 'Initializing Orchestration Task' }],
          state: 'running',
          resultObjects: [],
          error: undefined,
        };
        tasks.set(task.id, task);
        if (requestId) byRequestId.set(requestId, task.id);
        void executor.run(task, submission.operations);
        send(res, 200, { id: task.id, resourceUri: `/task/${task.id}` });
        return;
      }
      const resume = RESUME_PATH.exec(url.pathname);
      if (req.method === 'POST' && resume) {
        const t = tasks.get(decodeURIComponent(resume[1]!));
        if (!t) send(res, 404, { error: 'Not Found', message: 'task not found' });
        else send(res, 400, { error: 'Bad Request', message: 'task is not retryable' });
        return;
      }
      const task = TASK_PATH.exec(url.pathname);
      if (req.method === 'GET' && task) {
        const t = tasks.get(decodeURIComponent(task[1]!));
        if (!t) send(res, 404, { error: 'Not Found', message: 'task not found' });
        else send(res, 200, render(t));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/health') {
        send(res, 200, { status: 'UP', tasks: tasks.size });
        return;
      }
      send(res, 404, { error: 'Not Found', message: `no route for ${req.method} ${url.pathname}` });
    });
  });
  server.listen(port, '127.0.0.1', () => process.stderr.write(`baseline listening on ${port}\n`));
  // A replaced instance takes its in-flight operations with it: nothing drains, nothing persists.
  process.once('SIGTERM', () => process.exit(0));
}

main();
