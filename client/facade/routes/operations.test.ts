/**
 * The operations plugin (routes/operations.ts): what a POST is refused for before its first
 * Temporal call, in the order the route checks it. The task's start and everything after it is
 * tested end to end (test/facade/operations.test.ts).
 */
import type { OfflineFacade } from '../../../test/support/offline-facade';
import { offlineFacade, send } from '../../../test/support/offline-facade';

let facade: OfflineFacade;
beforeAll(async () => {
  facade = await offlineFacade({ limits: { maxOperations: 3, maxJsonDepth: 8 } });
});
afterAll(() => facade.close());

const resize = { credentials: 'test', region: 'us-east-1', serverGroupName: 'app-v001', capacity: { min: 1, max: 2, desired: 1 } };
const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-spinnaker-user': 'u', 'x-spinnaker-accounts': 'test' }) =>
  send(`${facade.url}${path}`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });

test('a malformed clientRequestId is a 400 naming the query parameter', async () => {
  const res = await post('/aws/ops?clientRequestId=a%20b', [{ resizeServerGroup: resize }]);
  expect(res.status).toBe(400);
  expect(res.body.error).toBe('Bad Request');
  expect(res.body.message).toMatch(/^invalid request: querystring\/clientRequestId must match pattern "/);
});

test('a malformed operation in the path is a 400 naming the path parameter', async () => {
  const res = await post('/aws/ops/resize!', resize);
  expect(res.status).toBe(400);
  expect(res.body.message).toMatch(/^invalid request: params\/operation must match pattern "/);
});

test.each([
  ['an empty body', '', /^the request body is empty; expected JSON$/],
  ['malformed JSON', '[{"resizeServerGroup": {', /^the request body is not valid JSON/],
  ['JSON deeper than the limit', '[[[[[[[[[[1]]]]]]]]]]', /^the request body nests deeper than 8 levels$/],
  ['a __proto__ key', '[{"resizeServerGroup": {"__proto__": {"x": 1}}}]', /__proto__ or constructor\.prototype key/],
  [
    'more operations than the limit',
    JSON.stringify(Array(4).fill({ resizeServerGroup: resize })),
    /^a task may hold at most 3 operations, got 4$/,
  ],
])('%s is a 400 before any Temporal call', async (_what, body, message) => {
  const res = await post('/aws/ops', body);
  expect(res.status).toBe(400);
  expect(res.body.message).toMatch(message);
});

test('an unknown operation, with no legacy Clouddriver, is a 400 naming it', async () => {
  const res = await post('/aws/ops', [{ launchRocket: {} }]);
  expect(res.status).toBe(400);
  expect(res.body.message).toContain("unknown operation 'launchRocket'");
});

test('another cloud provider, with no legacy Clouddriver, is a 503 saying so', async () => {
  const res = await post('/gce/ops', [{ resizeServerGroup: resize }]);
  expect(res.status).toBe(503);
  expect(res.body.error).toBe('Service Unavailable');
  expect(res.body.message).toBe(
    'Bosun runs aws operations, not gce, and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)',
  );
});

test('without X-SPINNAKER-USER a valid task is a 401; an account not granted a 403 naming it', async () => {
  const anonymous = await post('/aws/ops', [{ resizeServerGroup: resize }], {});
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error).toBe('Unauthorized');
  const stranger = await post('/aws/ops/resizeServerGroup', resize, { 'x-spinnaker-user': 'u', 'x-spinnaker-accounts': 'prod' });
  expect(stranger.status).toBe(403);
  expect(stranger.body.error).toBe('Forbidden');
  expect(stranger.body.message).toContain('u may not write to account test');
});

test('a valid, authorized task reaches Temporal: unreachable, it is a 503 that starts nothing', async () => {
  const res = await post('/aws/ops', [{ resizeServerGroup: resize }]);
  expect(res.status).toBe(503);
  expect(res.body.message).toMatch(/^Temporal did not answer \(nothing was started or changed by this request; retry it\)/);
});
