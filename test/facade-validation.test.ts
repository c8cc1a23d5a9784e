/**
 * Bad input gets a 4xx that names the field and the problem, never a 500, and starts nothing.
 * The facade runs over real HTTP against the real Temporal dev server, with no worker: nothing
 * here may reach one.
 */
import { useTestEnv } from './harness';
import { post } from './support/orca-client';

const env = useTestEnv({ withWorker: false });

async function workflowsOnQueue(): Promise<number> {
  return (await env.client.workflow.count(`TaskQueue = '${env.taskQueue}'`)).count;
}

interface ErrorBody {
  status: number;
  message: string;
  errors?: string[];
}

test('malformed JSON is a 400 that says so', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, '[{"resizeServerGroup": {');
  expect(res.status).toBe(400);
  expect((res.body as ErrorBody).message).toMatch(/^the request body is not valid JSON/);
});

test('an empty body is a 400', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, '');
  expect(res.status).toBe(400);
  expect((res.body as ErrorBody).message).toContain('empty');
});

test('missing and wrong fields are each named', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, [
    { resizeServerGroup: { region: 'us-east-1', serverGroupName: 'app-v001', capacity: { min: -1, desired: 'two' } } },
  ]);
  expect(res.status).toBe(400);
  const errors = (res.body as ErrorBody).errors ?? [];
  expect(errors).toEqual(
    expect.arrayContaining([
      '[0].resizeServerGroup.capacity.min: must be 0 or more',
      '[0].resizeServerGroup.capacity.desired: must be a whole number',
      '[0].resizeServerGroup.credentials: is required (the account name)',
    ]),
  );
});

test('a missing capacity and a bad region are named in the single-operation form', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops/resizeServerGroup`, {
    credentials: 'test',
    region: 'Mars',
    serverGroupName: 'app-v001',
  });
  expect(res.status).toBe(400);
  expect((res.body as ErrorBody).errors).toEqual(
    expect.arrayContaining(['region: must be an AWS region name such as us-east-1', 'capacity: is required']),
  );
});

test('min above max is refused before anything starts', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, [
    { resizeServerGroup: { credentials: 'test', region: 'us-east-1', serverGroupName: 'app-v001', capacity: { min: 5, max: 2 } } },
  ]);
  expect(res.status).toBe(400);
  expect((res.body as ErrorBody).errors).toContain('[0].resizeServerGroup.capacity.min: min 5 is greater than max 2');
});

test('an unknown operation is a 400 naming it and listing what Bosun runs', async () => {
  const list = await post(`${env.facadeUrl}/aws/ops`, [{ deployTheMoon: {} }]);
  expect(list.status).toBe(400);
  expect((list.body as ErrorBody).message).toContain("unknown operation 'deployTheMoon'");
  expect((list.body as ErrorBody).message).toContain('resizeServerGroup');
  const single = await post(`${env.facadeUrl}/aws/ops/deployTheMoon`, {});
  expect(single.status).toBe(400);
  expect((single.body as ErrorBody).message).toContain("unknown operation 'deployTheMoon'");
});

test('the list form refuses a non-list and an empty list', async () => {
  const obj = await post(`${env.facadeUrl}/aws/ops`, { resizeServerGroup: {} });
  expect(obj.status).toBe(400);
  expect((obj.body as ErrorBody).message).toContain('must be a JSON list');
  const empty = await post(`${env.facadeUrl}/aws/ops`, []);
  expect(empty.status).toBe(400);
  expect((empty.body as ErrorBody).message).toContain('empty');
});

test('an oversized body is a 413', async () => {
  const res = await post(`${env.facadeUrl}/aws/ops`, JSON.stringify([{ resizeServerGroup: { pad: 'x'.repeat(2 * 1024 * 1024) } }]));
  expect(res.status).toBe(413);
});

test('an unknown task is a 404, as Orca expects', async () => {
  const res = await fetch(`${env.facadeUrl}/task/00000000-0000-4000-8000-000000000000`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as ErrorBody).message).toContain('not found');
});

test('none of the refused requests started a workflow', async () => {
  expect(await workflowsOnQueue()).toBe(0);
});
