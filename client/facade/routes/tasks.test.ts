/**
 * The tasks plugin (routes/tasks.ts): task ids are checked by their schema before any Temporal
 * call, and a read Temporal does not answer is a 503. Reading, resuming and cancelling real tasks
 * is tested end to end (test/facade/tasks.test.ts, test/facade/attack.test.ts).
 */
import type { OfflineFacade } from '../../../test/support/offline-facade';
import { offlineFacade, send } from '../../../test/support/offline-facade';

let facade: OfflineFacade;
beforeAll(async () => {
  facade = await offlineFacade();
});
afterAll(() => facade.close());

test.each([
  ['GET', `/task/${'a'.repeat(300)}`],
  ['GET', '/task/-starts-with-a-dash'],
  ['POST', '/task/bad!id/cancel'],
  ['POST', '/task/bad!id:resume'],
])('%s %s: a task id that is not one is a 400 naming params/id', async (method, path) => {
  const res = await send(`${facade.url}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
  expect(res.status).toBe(400);
  expect(res.body.message).toMatch(/^invalid request: params\/id must match pattern "/);
});

test('a poll Temporal does not answer is a 503 naming Temporal', async () => {
  const res = await send(`${facade.url}/task/0b8f3c1e-1111-4222-8333-444455556666`);
  expect(res.status).toBe(503);
  expect(res.body.error).toBe('Service Unavailable');
  expect(res.body.message).toMatch(/^Temporal did not answer/);
});
