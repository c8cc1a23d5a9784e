/**
 * One trace per task: a resize posted to the facade over HTTP with Orca's `traceparent`, run by
 * a real worker against the dev server and moto, exported by the real SDK into an in-memory
 * exporter (the worker, the client and the facade share this process, as in `npm start`). The
 * trace holds the facade's POST, the workflow start, the workflow, its activities and their AWS
 * calls with AWS's request ids; the answer names the POST's span; polls make no spans. The
 * traced run's history then replays against the bundle. A throttled AWS call is traced through
 * the fault proxy, which answers with AWS's own throttling error.
 */
import { randomBytes } from 'node:crypto';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import * as otel from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Worker } from '@temporalio/worker';
import { createAwsClientProvider } from '../activities';
import { AwsSpanAttribute } from '../activities/aws-tracing';
import { taskMetricsSinks } from '../worker/create-worker';
import { SecretsCodec, TRACE_HEADER } from '../runtime';
import { startFaultProxy } from './support/fault-proxy';
import { ACCOUNT, REGION, startTestEnv, useTestEnv } from './harness';
import { ORCA_HEADERS, pollTask } from './support/orca-client';
import { makeServerGroup } from './support/server-group';
import { useInMemoryTracing } from './support/tracing';

const { exporter, tracing } = useInMemoryTracing('bosun-test');

const payloadKey = randomBytes(32);
const env = useTestEnv({ tracing, payloadKey });

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanId;
const idOf = (s: ReadableSpan): string => s.spanContext().spanId;

/** The spans of `traceId` once `done` holds for them (workflow spans arrive through the sink after each activation). */
async function spansOf(traceId: string, done: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    if (done(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The names from `span` up to the trace's root, through the parents recorded in the trace. */
function chainOf(span: ReadableSpan, spans: ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [idOf(s), s]));
  const chain: string[] = [];
  for (let cur: ReadableSpan | undefined = span; cur; cur = byId.get(parentOf(cur) ?? '')) chain.push(cur.name);
  return chain;
}

test("a resize is one trace from Orca's traceparent through the facade, the workflow and its activities to each AWS call", async () => {
  const { name } = await makeServerGroup(env, { prefix: 'traced', suffix: '-v001', min: 1, max: 1, desired: 1 });
  const traceId = randomBytes(16).toString('hex');
  const orcaSpanId = randomBytes(8).toString('hex');
  exporter.reset();

  const res = await fetch(`${env.facadeUrl}/aws/ops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ORCA_HEADERS, traceparent: `00-${traceId}-${orcaSpanId}-01` },
    body: JSON.stringify([
      { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { min: 2, max: 2, desired: 2 } } },
    ]),
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  const task = await pollTask(env.facadeUrl, id);
  expect(task.status).toMatchObject({ completed: true, failed: false });

  const spans = await spansOf(traceId, (s) => s.some((x) => x.name === 'RunWorkflow:resizeServerGroup'));
  const names = spans.map((s) => s.name);
  const post = spans.find((s) => s.name === 'POST /:cloudProvider/ops');
  expect(post).toBeDefined();
  // The POST is the child of Orca's span, and the answer names it (W3C traceparent and traceresponse).
  expect(parentOf(post!)).toBe(orcaSpanId);
  expect(post!.kind).toBe(otel.SpanKind.SERVER);
  expect(post!.attributes['http.response.status_code']).toBe(200);
  expect(res.headers.get('traceparent')).toBe(`00-${traceId}-${idOf(post!)}-01`);
  expect(res.headers.get('traceresponse')).toBe(`00-${traceId}-${idOf(post!)}-01`);

  expect(names).toEqual(expect.arrayContaining(['StartWorkflow:resizeServerGroup', 'RunWorkflow:resizeServerGroup']));
  const runActivities = spans.filter((s) => s.name.startsWith('RunActivity:'));
  expect(runActivities.length).toBeGreaterThan(0);
  for (const a of runActivities) expect(a.attributes['temporal.activity.attempt']).toBe(1);

  const awsCalls = spans.filter((s) => s.attributes[AwsSpanAttribute.system] === 'aws-api');
  expect(awsCalls.map((s) => s.name)).toEqual(
    expect.arrayContaining(['AutoScaling.DescribeAutoScalingGroups', 'AutoScaling.UpdateAutoScalingGroup']),
  );
  for (const call of awsCalls) {
    expect(call.kind).toBe(otel.SpanKind.CLIENT);
    expect(call.attributes[AwsSpanAttribute.requestId]).toEqual(expect.any(String));
    expect(call.attributes[AwsSpanAttribute.sdkAttempts]).toBe(1);
    expect(call.attributes[AwsSpanAttribute.activityAttempt]).toBe(1);
    // Every AWS call hangs under an activity, the workflow, its start and the POST.
    const chain = chainOf(call, spans);
    expect(chain[0]).toBe(call.name);
    expect(chain[1]).toMatch(/^RunActivity:/);
    expect(chain[2]).toMatch(/^StartActivity:/);
    expect(chain.slice(3)).toEqual(['RunWorkflow:resizeServerGroup', 'StartWorkflow:resizeServerGroup', 'POST /:cloudProvider/ops']);
  }
  const update = awsCalls.find((s) => s.name === 'AutoScaling.UpdateAutoScalingGroup')!;
  expect(update.attributes).toMatchObject({
    [AwsSpanAttribute.service]: 'AutoScaling',
    [AwsSpanAttribute.operation]: 'UpdateAutoScalingGroup',
  });

  // Orca's polls of the task made no span, in this trace or in one of their own.
  expect(exporter.getFinishedSpans().filter((s) => s.spanContext().traceId !== traceId)).toEqual([]);
  expect(names.filter((n) => n.startsWith('GET') || n.startsWith('QueryWorkflow') || n.startsWith('DescribeWorkflow'))).toEqual([]);

  // The traced run carries the span context in its start's header, and its history replays.
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.header?.fields?.[TRACE_HEADER]).toBeDefined();
  await Worker.runReplayHistory(
    {
      workflowBundle: { codePath: process.env.BOSUN_TEST_WORKFLOW_BUNDLE! },
      dataConverter: { payloadCodecs: [new SecretsCodec({ id: 'test', key: payloadKey })] },
      sinks: { ...tracing().workflowSinks, ...taskMetricsSinks(undefined) },
      replayName: 'bosun-traced-replay',
    },
    history,
    id,
  );
});

test('a POST without traceparent starts its own trace, and a task through a facade and worker that do not trace makes no spans', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'untraced', suffix: '-v001', min: 1, max: 1, desired: 1 });
  const resize = (capacity: { min: number; max: number; desired: number }) => [
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity } },
  ];
  // Another facade and worker of this process, built without tracing (tracing off in their config).
  const plain = await startTestEnv();
  exporter.reset();
  try {
    const { task } = await plain.run(resize({ min: 1, max: 2, desired: 1 }), {
      headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
    });
    expect(task.status).toMatchObject({ completed: true, failed: false });
  } finally {
    await plain.close();
  }
  expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);

  const res = await fetch(`${env.facadeUrl}/aws/ops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ORCA_HEADERS },
    body: JSON.stringify(resize({ min: 1, max: 3, desired: 1 })),
  });
  expect(res.status).toBe(200);
  const traceparent = res.headers.get('traceparent');
  expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const traceId = traceparent!.split('-')[1]!;
  await pollTask(env.facadeUrl, ((await res.json()) as { id: string }).id);
  const spans = await spansOf(traceId, (s) => s.some((x) => x.name === 'RunWorkflow:resizeServerGroup'));
  const post = spans.find((s) => s.name === 'POST /:cloudProvider/ops');
  expect(post).toBeDefined();
  expect(parentOf(post!)).toBeUndefined();
  expect(spans.map((s) => s.name)).toContain('RunWorkflow:resizeServerGroup');
});

test('an AWS call that AWS throttled records each throttled attempt as an event, and the attempts it took', async () => {
  const { name } = await makeServerGroup(env, { prefix: 'throttled', suffix: '-v001', min: 1, max: 1, desired: 1 });
  // Seed 7 throttles the first request and forwards the second (the proxy draws per request).
  const proxy = await startFaultProxy({
    target: process.env.BOSUN_TEST_AWS_ENDPOINT!,
    profile: { throttle: 0.5, serverError: 0, unavailable: 0, reset: 0, latency: 0, maxLatencyMs: 0, seed: 7 },
  });
  const provider = createAwsClientProvider({
    accounts: [{ name: ACCOUNT, accountId: '123456789012' }],
    endpoint: proxy.url,
    emulator: true,
    maxAttempts: 5,
  });
  exporter.reset();
  try {
    const tracer = otel.trace.getTracer('test');
    await tracer.startActiveSpan('caller', async (caller) => {
      await provider.clientsFor(ACCOUNT, REGION).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
      caller.end();
    });
  } finally {
    provider.destroy();
    await proxy.close();
  }
  const call = exporter.getFinishedSpans().find((s) => s.name === 'AutoScaling.DescribeAutoScalingGroups')!;
  expect(proxy.counts.throttle).toBeGreaterThan(0);
  const throttles = call.events.filter((e) => e.name === 'aws.throttled');
  expect(throttles).toHaveLength(proxy.counts.throttle);
  expect(throttles[0]!.attributes?.[AwsSpanAttribute.errorCode]).toBe('Throttling');
  expect(call.attributes[AwsSpanAttribute.sdkAttempts]).toBe(proxy.counts.throttle + 1);
  expect(call.attributes[AwsSpanAttribute.requestId]).toEqual(expect.any(String));
  expect(call.status.code).toBe(otel.SpanStatusCode.UNSET);
});
