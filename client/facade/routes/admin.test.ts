/**
 * The admin plugin (routes/admin.ts): health, metrics, the OpenAPI description (its parameters
 * from the same zod schemas the routes validate with) and the routing question.
 */
import type { OfflineFacade } from '../../../test/support/offline-facade';
import { offlineFacade, send } from '../../../test/support/offline-facade';
import { CLIENT_REQUEST_ID_PATTERN, TASK_ID_PATTERN } from '../schemas';

let facade: OfflineFacade;
beforeAll(async () => {
  facade = await offlineFacade();
});
afterAll(() => facade.close());

test('/health is UP with no flag and no legacy Clouddriver', async () => {
  const res = await fetch(`${facade.url}/health`);
  expect(await res.json()).toEqual({ status: 'UP', flags: { state: 'NONE' }, legacy: null });
});

test('/metrics counts requests by route', async () => {
  await fetch(`${facade.url}/health`);
  const text = await (await fetch(`${facade.url}/metrics`)).text();
  expect(text).toMatch(/bosun_http_requests_total\{method="GET",route="health",status="200"\} \d+/);
});

test("/openapi.json describes the routes' parameters from their schemas", async () => {
  interface Parameter {
    name: string;
    in: string;
    required: boolean;
    schema: { pattern?: string; maxLength?: number };
  }
  const doc = (await (await fetch(`${facade.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
  };
  const param = (path: string, method: string, name: string) => doc.paths[path]?.[method]?.parameters?.find((p) => p.name === name);
  expect(param('/task/{id}', 'get', 'id')).toMatchObject({ in: 'path', required: true, schema: { pattern: TASK_ID_PATTERN } });
  expect(param('/{cloudProvider}/ops', 'post', 'clientRequestId')).toMatchObject({
    in: 'query',
    required: false,
    schema: { pattern: CLIENT_REQUEST_ID_PATTERN },
  });
  expect(param('/routing', 'get', 'application')).toMatchObject({ in: 'query', required: false, schema: { maxLength: 256 } });
});

test('/routing answers where a task would run, and refuses an over-long parameter naming it', async () => {
  const decision = (await (await fetch(`${facade.url}/routing?application=app&account=test&operation=resizeServerGroup`)).json()) as {
    route: string;
    rule: string;
    question: { application: string; account: string; operation: string };
  };
  expect(decision).toMatchObject({ route: 'temporal', rule: 'no-flag', question: { application: 'app', account: 'test' } });
  const refused = await send(`${facade.url}/routing?application=${'a'.repeat(300)}`);
  expect(refused.status).toBe(400);
  expect(refused.body.message).toBe('invalid request: querystring/application must NOT have more than 256 characters');
});
