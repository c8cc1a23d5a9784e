/**
 * The app module (server.ts): every refusal in Clouddriver's error shape with Node's reason
 * phrase and the request id, and the answer for a path no
 * route serves when no legacy Clouddriver is configured. Raw-socket refusals, the legacy proxy
 * and fuzzing are in test/facade/attack.test.ts.
 */
import type { OfflineFacade } from '../../test/support/offline-facade';
import { offlineFacade, send } from '../../test/support/offline-facade';

let facade: OfflineFacade;
beforeAll(async () => {
  facade = await offlineFacade({ maxBodyBytes: 1_000 });
});
afterAll(() => facade.close());

test('a path no route serves, with no legacy Clouddriver, is a 404 in Clouddriver shape with the request id', async () => {
  const res = await send(`${facade.url}/applications/app/clusters?x=1`);
  expect(res.status).toBe(404);
  expect(res.body).toEqual({
    timestamp: expect.any(Number),
    status: 404,
    error: 'Not Found',
    message: 'no route for GET /applications/app/clusters (and no legacy Clouddriver is configured)',
    path: '/applications/app/clusters',
    requestId: res.headers.get('x-request-id'),
  });
});

test('a body over the limit is a 413 with its reason phrase', async () => {
  const res = await send(`${facade.url}/aws/ops`, { body: JSON.stringify([{ x: 'y'.repeat(2_000) }]) });
  expect(res.status).toBe(413);
  expect(res.body.error).toBe('Payload Too Large');
});
