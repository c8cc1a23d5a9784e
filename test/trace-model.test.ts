/**
 * The trace viewer's logic (infra/jaeger/ui/static/trace-model.js, the same file the page loads)
 * on traces shaped as Jaeger's query API answers them: the tree, the waterfall's order, what each
 * span is, the attributes shown without opening a span, and the trace list's merge.
 */
import type { JaegerSpan, JaegerTrace } from '../infra/jaeger/ui/static/trace-model.js';
import {
  buildTree,
  formatDuration,
  highlightsOf,
  kindOf,
  newestFirst,
  parseTraceId,
  routeOf,
  summarize,
} from '../infra/jaeger/ui/static/trace-model.js';

const T0 = 1_796_000_000_000_000; // microseconds since the epoch, as Jaeger answers
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

type Tags = Record<string, string | number | boolean>;
function span(
  id: string,
  parent: string | undefined,
  name: string,
  start: number,
  duration: number,
  tags: Tags = {},
  extra: Partial<JaegerSpan> = {},
): JaegerSpan {
  return {
    traceID: TRACE,
    spanID: id,
    operationName: name,
    references: parent ? [{ refType: 'CHILD_OF', traceID: TRACE, spanID: parent }] : [],
    startTime: T0 + start,
    duration,
    tags: Object.entries(tags).map(([key, value]) => ({ key, type: typeof value, value })),
    logs: [],
    processID: 'p1',
    ...extra,
  };
}
const trace = (spans: JaegerSpan[], traceID = TRACE): JaegerTrace => ({
  traceID,
  spans,
  processes: { p1: { serviceName: 'bosun-start' } },
});
const aws = (service: string, method: string, more: Tags = {}): Tags => ({
  'rpc.system': 'aws-api',
  'rpc.service': service,
  'rpc.method': method,
  ...more,
});

// A task's trace, its spans out of order as storage returns them; the POST's parent is Orca's
// span, which is not in the trace.
const deploy = trace([
  span(
    'a6',
    'a5',
    'AutoScaling.CreateAutoScalingGroup',
    300,
    100,
    aws('AutoScaling', 'CreateAutoScalingGroup', { 'aws.request_id': 'req-2', 'aws.sdk.attempts': 3 }),
    {
      logs: [
        {
          timestamp: T0 + 320,
          fields: [
            { key: 'event', value: 'aws.throttled' },
            { key: 'aws.error.code', value: 'Throttling' },
          ],
        },
        {
          timestamp: T0 + 350,
          fields: [
            { key: 'event', value: 'aws.throttled' },
            { key: 'aws.error.code', value: 'Throttling' },
          ],
        },
      ],
    },
  ),
  span('a3', 'a2', 'RunWorkflow:createServerGroup', 60, 900),
  span('a1', 'orca0000000000aa', 'POST /:cloudProvider/ops', 0, 50, {
    'http.route': '/:cloudProvider/ops',
    'http.response.status_code': 200,
  }),
  span('a5', 'a4', 'RunActivity:prepareDeploy', 110, 400, { 'temporal.activity.attempt': 1 }),
  span('a7', 'a5', 'EC2.DescribeImages', 120, 50, aws('EC2', 'DescribeImages', { 'aws.request_id': 'req-1', 'aws.sdk.attempts': 1 })),
  span('a2', 'a1', 'StartWorkflow:createServerGroup', 10, 30, { temporalWorkflowId: 'task-1' }),
  span('a4', 'a3', 'StartActivity:prepareDeploy', 100, 420),
  span(
    'a8',
    'a3',
    'AutoScaling.DescribeAutoScalingGroups',
    700,
    60,
    aws('AutoScaling', 'DescribeAutoScalingGroups', {
      'aws.error.code': 'ServiceUnavailable',
      error: true,
      'otel.status_code': 'ERROR',
      'otel.status_description': 'ServiceUnavailable: try again',
    }),
  ),
]);

test('the waterfall is the span tree depth first, siblings by start, from the span whose parent is outside the trace', () => {
  const tree = buildTree(deploy);
  expect(tree.rows.map((r) => [r.depth, r.span.operationName])).toEqual([
    [0, 'POST /:cloudProvider/ops'],
    [1, 'StartWorkflow:createServerGroup'],
    [2, 'RunWorkflow:createServerGroup'],
    [3, 'StartActivity:prepareDeploy'],
    [4, 'RunActivity:prepareDeploy'],
    [5, 'EC2.DescribeImages'],
    [5, 'AutoScaling.CreateAutoScalingGroup'],
    [3, 'AutoScaling.DescribeAutoScalingGroups'],
  ]);
  expect(tree.roots.map((r) => r.span.spanID)).toEqual(['a1']);
  expect(tree.start).toBe(T0);
  expect(tree.duration).toBe(960);
  expect(tree.rows.find((r) => r.span.spanID === 'a6')!.offset).toBe(300);
  expect(tree.services).toEqual(['bosun-start']);
  expect(tree.errors).toBe(1);
  expect(tree.rows.find((r) => r.span.spanID === 'a6')!.events).toEqual([
    { name: 'aws.throttled', offset: 320, attributes: [{ key: 'aws.error.code', value: 'Throttling' }] },
    { name: 'aws.throttled', offset: 350, attributes: [{ key: 'aws.error.code', value: 'Throttling' }] },
  ]);
});

test("each span is the facade's request, the workflow, an activity, an AWS call or other", () => {
  const kinds = Object.fromEntries(buildTree(deploy).rows.map((r) => [r.span.operationName, r.kind]));
  expect(kinds).toEqual({
    'POST /:cloudProvider/ops': 'http',
    'StartWorkflow:createServerGroup': 'workflow',
    'RunWorkflow:createServerGroup': 'workflow',
    'StartActivity:prepareDeploy': 'activity',
    'RunActivity:prepareDeploy': 'activity',
    'EC2.DescribeImages': 'aws',
    'AutoScaling.CreateAutoScalingGroup': 'aws',
    'AutoScaling.DescribeAutoScalingGroups': 'aws',
  });
  expect(kindOf(span('x', undefined, 'dns.lookup', 0, 1))).toBe('other');
});

test("an AWS call shows its service and operation, AWS's request id, both retry counts, throttling and its error", () => {
  const byName = (name: string) => deploy.spans.find((s) => s.operationName === name)!;
  expect(highlightsOf(byName('AutoScaling.CreateAutoScalingGroup'))).toEqual([
    { label: 'AWS', value: 'AutoScaling CreateAutoScalingGroup' },
    { label: 'request id', value: 'req-2' },
    { label: 'SDK attempts', value: '3' },
    { label: 'throttled', value: '2×' },
  ]);
  expect(highlightsOf(byName('AutoScaling.DescribeAutoScalingGroups'))).toEqual([
    { label: 'AWS', value: 'AutoScaling DescribeAutoScalingGroups' },
    { label: 'AWS error', value: 'ServiceUnavailable' },
    { label: 'error', value: 'ServiceUnavailable: try again' },
  ]);
  expect(highlightsOf(byName('RunActivity:prepareDeploy'))).toEqual([{ label: 'activity attempt', value: '1' }]);
  expect(highlightsOf(byName('POST /:cloudProvider/ops'))).toEqual([
    { label: 'route', value: '/:cloudProvider/ops' },
    { label: 'status', value: '200' },
  ]);
});

test('the list has each trace once (the copy with more spans), newest first, at most the limit', () => {
  const older = trace([span('b1', undefined, 'POST /ops', -5_000_000, 10)], '00000000000000000000000000000b01');
  const partial = trace(deploy.spans.slice(0, 3));
  const list = newestFirst([older, partial, deploy, older], 10);
  expect(list.map((t) => [t.traceID, t.spans])).toEqual([
    [TRACE, 8],
    ['00000000000000000000000000000b01', 1],
  ]);
  expect(list[0]).toMatchObject({
    rootName: 'POST /:cloudProvider/ops',
    rootService: 'bosun-start',
    rootStatus: '200',
    errors: 1,
    duration: 960,
  });
  expect(newestFirst([older, deploy], 1).map((t) => t.traceID)).toEqual([TRACE]);
});

test('a trace whose references make a cycle is still drawn, each span once', () => {
  const loop = trace([span('c1', 'c2', 'one', 0, 10), span('c2', 'c1', 'two', 5, 10), span('c3', 'c2', 'three', 6, 1)]);
  const tree = buildTree(loop);
  expect(tree.rows.map((r) => r.span.spanID).sort()).toEqual(['c1', 'c2', 'c3']);
  expect(summarize(loop).spans).toBe(3);
});

test('trace ids come from a bare id or a pasted traceparent; /trace/<id> is a trace page, anything else the list', () => {
  expect(parseTraceId(` ${TRACE.toUpperCase()} `)).toBe(TRACE);
  expect(parseTraceId(`00-${TRACE}-00f067aa0ba902b7-01`)).toBe(TRACE);
  expect(parseTraceId('not-a-trace')).toBeUndefined();
  expect(routeOf(`/trace/${TRACE}`)).toEqual({ page: 'trace', traceId: TRACE });
  expect(routeOf('/trace/zzz')).toEqual({ page: 'list' });
  expect(routeOf('/')).toEqual({ page: 'list' });
  expect(routeOf('/search')).toEqual({ page: 'list' });
});

test('durations read as people say them', () => {
  expect([850, 12_345, 450_000, 4_100_000, 125_000_000].map(formatDuration)).toEqual([
    '850 µs',
    '12.3 ms',
    '450 ms',
    '4.10 s',
    '2 min 05 s',
  ]);
});
