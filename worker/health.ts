/**
 * The worker's health endpoint for an orchestrator (BOSUN_WORKER_HEALTH_PORT): `GET /health`
 * answers 200 while the worker runs (polls its task queue) and 503 before it does and once it
 * drains or stops, so a readiness probe takes a stopping pod out at once. `GET /metrics` serves
 * Bosun's worker metrics (worker/metrics.ts) when given a registry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';
import type { Registry } from 'prom-client';

export interface WorkerHealth {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveWorkerHealth(
  worker: { getState(): State },
  opts: { port: number; host: string; taskQueue: string; metrics?: Registry | undefined },
): Promise<WorkerHealth> {
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && route === '/metrics' && opts.metrics) {
      const registry = opts.metrics;
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    if (req.method !== 'GET' || route !== '/health') {
      const only = opts.metrics ? 'GET /health and GET /metrics' : 'GET /health';
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: `only ${only} here` }));
      return;
    }
    const state = worker.getState();
    const up = state === 'RUNNING';
    res
      .writeHead(up ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: up ? 'UP' : 'DOWN', workerState: state, taskQueue: opts.taskQueue }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}/health`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
