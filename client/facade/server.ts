/**
 * The Clouddriver-compatible HTTP facade: Orca posts operations and polls tasks exactly as it
 * does against Clouddriver, and each task runs as a Temporal workflow. It holds no state: a task
 * id is a workflow id, and everything it answers comes from Temporal.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from '../../config/logger';
import { parseSubmission, taskTargets } from '../../domain/submission';
import type { TaskSettings } from '../../domain/task-input';
import { header, HttpError, parseJson, readBody, sendError, sendJson } from './http';
import { describeTask, startTask } from './tasks';

export interface FacadeOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly settings: TaskSettings;
  readonly logger: Logger;
  readonly maxBodyBytes?: number | undefined;
}

export interface Facade {
  readonly server: http.Server;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const OPS_PATH = /^\/(?:([A-Za-z0-9_-]+)\/)?ops(?:\/([A-Za-z0-9_.-]+))?\/?$/;
const TASK_PATH = /^\/task\/([^/:]+)\/?$/;
const CANCEL_PATH = /^\/task\/([^/:]+)\/cancel\/?$/;

export function createFacade(opts: FacadeOptions): Facade {
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.logger.child({ component: 'facade' });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/health' && method === 'GET') {
      sendJson(res, 200, { status: 'UP' });
      return;
    }

    const ops = OPS_PATH.exec(path);
    if (ops) {
      if (method !== 'POST') throw new HttpError(405, 'Method Not Allowed', `${path} accepts POST only`);
      const cloudProvider = ops[1] ?? 'aws';
      if (cloudProvider !== 'aws') {
        throw new HttpError(400, 'Bad Request', `cloud provider '${cloudProvider}' is not supported by Bosun; it runs aws operations`);
      }
      const body = parseJson(await readBody(req, limit));
      const submission = parseSubmission(body, ops[2]);
      if (!submission.ok) {
        throw new HttpError(400, 'Bad Request', `invalid operation: ${submission.errors.join('; ')}`, submission.errors);
      }
      const targets = taskTargets(submission.operations, header(req, 'X-SPINNAKER-APPLICATION'));
      const requestId = url.searchParams.get('clientRequestId') || undefined;
      const context = {
        cloudProvider,
        user: header(req, 'X-SPINNAKER-USER'),
        requestId,
        executionId: header(req, 'X-SPINNAKER-EXECUTION-ID'),
        application: targets.application,
      };
      const { id, started } = await startTask(opts.client, {
        operations: submission.operations,
        targets,
        context,
        settings: opts.settings,
        taskQueue: opts.taskQueue,
      });
      log.info(started ? 'task started' : 'task already exists for clientRequestId', {
        taskId: id,
        operations: submission.operations.map((o) => o.name),
        application: targets.application,
        user: context.user,
        requestId,
      });
      sendJson(res, 200, { id, resourceUri: `/task/${id}` });
      return;
    }

    const cancel = CANCEL_PATH.exec(path);
    if (cancel && method === 'POST') {
      const id = decodeURIComponent(cancel[1]!);
      const task = await describeTask(opts.client, id);
      if (!task) throw new HttpError(404, 'Not Found', `task ${id} not found`);
      if (!task.status.completed) {
        try {
          await opts.client.workflow.getHandle(id).cancel();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      log.info('task cancel requested', { taskId: id, alreadyCompleted: task.status.completed });
      sendJson(res, 202, { id, resourceUri: `/task/${id}`, cancelRequested: !task.status.completed });
      return;
    }

    const task = TASK_PATH.exec(path);
    if (task && method === 'GET') {
      const id = decodeURIComponent(task[1]!);
      const rendered = await describeTask(opts.client, id);
      if (!rendered) throw new HttpError(404, 'Not Found', `task ${id} not found`);
      sendJson(res, 200, rendered);
      return;
    }

    throw new HttpError(404, 'Not Found', `no route for ${method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://facade.local');
    handle(req, res, url).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status >= 500) log.warn('request failed', { path: url.pathname, status: err.status, message: err.message });
        sendError(res, err, url.pathname);
        return;
      }
      // Temporal unreachable or overloaded: the request was not taken; Orca retries the POST.
      const message = (err as Error)?.message ?? String(err);
      log.error('request failed', { path: url.pathname, error: message });
      if (!res.headersSent) sendError(res, new HttpError(503, 'Service Unavailable', `Temporal did not answer: ${message}`), url.pathname);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${a.address}:${a.port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
