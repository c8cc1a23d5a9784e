import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { createAwsClientProvider } from '../activities';
import { NO_FAULTS, startFaultProxy } from '../test/support/fault-proxy';
import { serveWorkerHealth } from './health';
import { ApplicationLabels, awsErrorKind, createWorkerMetrics, OTHER_APPLICATION, UNKNOWN_APPLICATION } from './metrics';

async function valueOf(metrics: ReturnType<typeof createWorkerMetrics>, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number; metricName?: string }[];
  const match = values.find(
    (v) =>
      (v.metricName === undefined || v.metricName === name) && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return match?.value ?? 0;
}

describe('ApplicationLabels', () => {
  test('onboarded applications keep their name; of the rest, the first few do and the others are "other"', () => {
    const labels = new ApplicationLabels(2);
    labels.know(['checkout', 'search']);
    expect(['a', 'b', 'c', 'checkout', 'a', 'search', 'd'].map((a) => labels.of(a))).toEqual([
      'a',
      'b',
      OTHER_APPLICATION,
      'checkout',
      'a',
      'search',
      OTHER_APPLICATION,
    ]);
    expect(labels.of(undefined)).toBe(UNKNOWN_APPLICATION);
  });
});

describe('worker metrics', () => {
  test('tasks are counted by operation, bounded application and failure type, and timed by outcome', async () => {
    const metrics = createWorkerMetrics({ applications: new ApplicationLabels(1) });
    metrics.taskStarted({ operation: 'createServerGroup', application: 'app1' });
    metrics.taskStarted({ operation: 'createServerGroup', application: 'app2' });
    metrics.taskEnded({ operation: 'createServerGroup', application: 'app1', outcome: 'succeeded', seconds: 42 });
    metrics.taskEnded({ operation: 'createServerGroup', application: 'app2', outcome: 'failed', failureType: 'ImageNotFound', seconds: 3 });

    expect(await valueOf(metrics, 'bosun_tasks_started_total', { operation: 'createServerGroup', application: 'app1' })).toBe(1);
    expect(await valueOf(metrics, 'bosun_tasks_started_total', { application: 'other' })).toBe(1);
    expect(await valueOf(metrics, 'bosun_tasks_succeeded_total', { application: 'app1' })).toBe(1);
    expect(
      await valueOf(metrics, 'bosun_tasks_failed_total', {
        operation: 'createServerGroup',
        application: 'other',
        failure_type: 'ImageNotFound',
      }),
    ).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('bosun_task_duration_seconds_bucket{le="60",operation="createServerGroup",outcome="succeeded"} 1');
    expect(text).toContain('bosun_task_duration_seconds_bucket{le="30",operation="createServerGroup",outcome="succeeded"} 0');
    expect(text).toContain('bosun_task_duration_seconds_count{operation="createServerGroup",outcome="failed"} 1');
  });

  test('activity attempts are timed, and attempts after the first count as retries', async () => {
    const metrics = createWorkerMetrics();
    metrics.activityAttempt({ activity: 'resizeServerGroup', attempt: 1, seconds: 0.2, ok: false });
    metrics.activityAttempt({ activity: 'resizeServerGroup', attempt: 2, seconds: 0.1, ok: false });
    metrics.activityAttempt({ activity: 'resizeServerGroup', attempt: 3, seconds: 0.1, ok: true });
    expect(await valueOf(metrics, 'bosun_activity_retries_total', { activity: 'resizeServerGroup' })).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('bosun_activity_duration_seconds_count{activity="resizeServerGroup",outcome="failed"} 2');
    expect(text).toContain('bosun_activity_duration_seconds_count{activity="resizeServerGroup",outcome="succeeded"} 1');
  });

  test('AWS errors are sorted into a few kinds, throttling first', () => {
    expect(awsErrorKind(Object.assign(new Error('slow down'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))).toBe(
      'throttling',
    );
    expect(awsErrorKind(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } }))).toBe('throttling');
    expect(
      awsErrorKind(Object.assign(new Error('x'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } })),
    ).toBe('server');
    expect(
      awsErrorKind(Object.assign(new Error('x'), { name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 } })),
    ).toBe('client');
    expect(awsErrorKind(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('network');
    expect(awsErrorKind(new TypeError('x is undefined'))).toBe('unexpected');
  });
});

describe('the AWS clients report every attempt to the metrics', () => {
  let upstream: http.Server;
  let upstreamUrl: string;
  beforeAll(async () => {
    // Stands in for AWS behind the fault proxy: an empty, well-formed answer to any describe.
    upstream = http.createServer((req, res) => {
      const ec2 = (req.headers.authorization ?? '').includes('/ec2/');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        ec2
          ? '<DescribeInstancesResponse><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>'
          : '<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>',
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
  });

  test('calls, throttles and errors by service and API, each SDK attempt counted (a throttle AWS answers, through the fault proxy)', async () => {
    const proxy = await startFaultProxy({ target: upstreamUrl, profile: NO_FAULTS });
    const metrics = createWorkerMetrics();
    const provider = createAwsClientProvider({
      accounts: [{ name: 'test', accountId: '123456789012' }],
      endpoint: proxy.url,
      emulator: true,
      maxAttempts: 2,
      onCall: metrics.awsCall,
    });
    try {
      const clients = provider.clientsFor('test', 'us-east-1');
      await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
      proxy.setProfile({ ...NO_FAULTS, throttle: 1 });
      await expect(clients.ec2.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });

      expect(await valueOf(metrics, 'bosun_aws_calls_total', { service: 'autoscaling', api: 'DescribeAutoScalingGroups' })).toBe(1);
      // maxAttempts 2: the SDK retried the throttled call once, and both attempts are seen.
      expect(await valueOf(metrics, 'bosun_aws_calls_total', { service: 'ec2', api: 'DescribeInstances' })).toBe(2);
      expect(await valueOf(metrics, 'bosun_aws_throttles_total', { service: 'ec2', api: 'DescribeInstances' })).toBe(2);
      expect(await valueOf(metrics, 'bosun_aws_errors_total', { service: 'ec2', api: 'DescribeInstances', kind: 'throttling' })).toBe(2);
      expect(await valueOf(metrics, 'bosun_aws_errors_total', { service: 'autoscaling' })).toBe(0);
    } finally {
      provider.destroy();
      await proxy.close();
    }
  });
});

test("the worker's health endpoint serves the metrics at /metrics", async () => {
  const metrics = createWorkerMetrics();
  metrics.taskStarted({ operation: 'resizeServerGroup', application: 'app' });
  const health = await serveWorkerHealth(
    { getState: () => 'RUNNING' },
    { port: 0, host: '127.0.0.1', taskQueue: 'q', metrics: metrics.registry },
  );
  try {
    const res = await fetch(health.url.replace(/\/health$/, '/metrics'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('bosun_tasks_started_total{operation="resizeServerGroup",application="app"} 1');
  } finally {
    await health.close();
  }
});
