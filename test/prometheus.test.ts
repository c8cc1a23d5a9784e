/**
 * A real Prometheus (Debian's) scrapes a running stack — the worker and the facade as their own
 * processes, AWS calls through the fault proxy in front of moto — with alerts.yml loaded. After a
 * deploy, a failed deploy and a resize whose AWS calls are throttled, every signal the alerts
 * use and every query of the Grafana dashboard returns data, and the metrics carry what an
 * on-call engineer asks about.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NO_FAULTS, startFaultProxy } from './support/fault-proxy';
import type { FaultProxy } from './support/fault-proxy';
import { freePort } from '../infra/stack';
import { ACCOUNT, REGION, testAwsClients, testAwsProvider, uniqueName } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { runTask } from './support/orca-client';
import type { ProcessStack } from './support/process-stack';
import { startProcessStack } from './support/process-stack';
import { ALERTS_FILE, prometheusBinaries, testedQueries } from './support/prometheus';
import { deployDescription } from './support/deploy-description';

const bins = prometheusBinaries();
if ('missing' in bins) process.stderr.write(`skipping the Prometheus end-to-end test: ${bins.missing}\n`);
const describeWithPrometheus = 'missing' in bins ? describe.skip : describe;

describeWithPrometheus('Prometheus scraping a running stack', () => {
  let proxy: FaultProxy;
  let stack: ProcessStack;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;

  beforeAll(async () => {
    if ('missing' in bins) return;
    proxy = await startFaultProxy({ target: process.env.BOSUN_TEST_AWS_ENDPOINT!, profile: NO_FAULTS });
    stack = await startProcessStack({ awsEndpoint: proxy.url });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-prometheus-'));
    const target = (url: string) => new URL(url).host;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${ALERTS_FILE}`,
      'scrape_configs:',
      `  - { job_name: bosun-facade, static_configs: [{ targets: ['${target(stack.facadeUrl)}'] }] }`,
      `  - { job_name: bosun-worker, static_configs: [{ targets: ['${target(stack.workerMetricsUrl)}'] }] }`,
      `  - { job_name: bosun-worker-sdk, static_configs: [{ targets: ['${target(stack.sdkMetricsUrl)}'] }] }`,
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      bins.prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    for (let i = 0; i < 120; i++) {
      if (
        await fetch(`${prometheusUrl}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 180_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack?.stop();
    await proxy?.close();
  });

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  }

  async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what}: nothing after ${timeoutMs} ms\n${stack.logs()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  test('after a deploy, a failed deploy and a throttled resize, every alert signal and dashboard query returns data', async () => {
    const aws = testAwsProvider();
    const { name: amiName } = await emulatorAl2023Image(testAwsClients(aws).ec2);
    aws.destroy();
    const app = uniqueName('prom');
    const deploy = (extra: Record<string, unknown>) => ({ createServerGroup: deployDescription(app, amiName, extra) });

    const ok = await runTask(stack.facadeUrl, [deploy({})]);
    expect(ok.task.status).toMatchObject({ completed: true, failed: false });
    const failed = await runTask(stack.facadeUrl, [deploy({ amiName: 'no-such-image', freeFormDetails: 'broken' })]);
    expect(failed.task.status).toMatchObject({ completed: true, failed: true });

    // Every AWS request is throttled until one was: the resize's activity fails, Temporal retries it.
    proxy.setProfile({ ...NO_FAULTS, throttle: 1 });
    const resize = runTask(stack.facadeUrl, [
      {
        resizeServerGroup: {
          credentials: ACCOUNT,
          region: REGION,
          serverGroupName: `${app}-main-v000`,
          capacity: { min: 1, max: 3, desired: 2 },
        },
      },
    ]);
    await eventually('a throttled request', async () => (proxy.counts.throttle > 0 ? true : undefined), 30_000);
    proxy.setProfile(NO_FAULTS);
    expect((await resize).task.status).toMatchObject({ completed: true, failed: false });

    // What the metrics say, once scraped: by application, failure type, service and API.
    const started = await eventually('tasks started', async () => {
      const r = await query(`bosun_tasks_started_total{application="${app}"}`);
      return r.length >= 2 ? r : undefined;
    });
    expect(started.map((s) => s.metric.operation).sort()).toEqual(['createServerGroup', 'resizeServerGroup']);
    const failures = await eventually('tasks failed', async () => {
      const r = await query(`bosun_tasks_failed_total{application="${app}"}`);
      return r.length ? r : undefined;
    });
    expect(failures[0]!.metric).toMatchObject({ operation: 'createServerGroup', failure_type: expect.stringMatching(/Image/) });
    const throttles = await eventually('throttles', async () => {
      const r = await query('bosun_aws_throttles_total');
      return r.length ? r : undefined;
    });
    expect(throttles[0]!.metric).toMatchObject({ service: expect.any(String), api: expect.any(String) });
    await eventually('activity retries', async () => ((await query('bosun_activity_retries_total')).length ? true : undefined));

    // Every query the alerts and the dashboard use; recorded signals once their group has run.
    const empty: string[] = [];
    for (const expr of testedQueries()) {
      const got = await eventually(expr, async () => ((await query(expr)).length ? true : undefined), 90_000).catch(() => false);
      if (!got) empty.push(expr);
    }
    expect(empty).toEqual([]);
  }, 300_000);
});
