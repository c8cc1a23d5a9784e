import type { State } from '@temporalio/worker';
import { serveWorkerHealth } from './health';

test('GET /health is 200 only while the worker runs', async () => {
  let state: State = 'INITIALIZED';
  const health = await serveWorkerHealth({ getState: () => state }, { port: 0, host: '127.0.0.1', taskQueue: 'q' });
  try {
    const get = async () => {
      const res = await fetch(health.url);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await get()).toEqual({ status: 503, body: { status: 'DOWN', workerState: 'INITIALIZED', taskQueue: 'q' } });
    state = 'RUNNING';
    expect(await get()).toMatchObject({ status: 200, body: { status: 'UP' } });
    state = 'DRAINING';
    expect((await get()).status).toBe(503);
    expect((await fetch(health.url.replace('/health', '/other'))).status).toBe(404);
  } finally {
    await health.close();
  }
});
