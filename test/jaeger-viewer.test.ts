/**
 * The trace viewer `npm start -- --jaeger` prints: Jaeger built from the Go module (the cached
 * binary; this file skips when it is not built) started as npm start starts it, a resize posted
 * to the facade with Orca's `traceparent` and exported over OTLP/HTTP to it by the real SDK, then
 * the printed address serves Bosun's viewer at `/` and at the trace's deep link, and headless
 * Chromium (when installed) draws the trace: the facade's POST, the workflow, its activities and
 * their AWS calls with AWS's request ids, and the trace in the list of recent traces.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { JaegerServer } from '../infra/jaeger/jaeger';
import { defaultJaegerCacheDir, startJaeger, VIEWER_DIR } from '../infra/jaeger/jaeger';
import { CHROMIUM, renderPage } from '../infra/jaeger/trace-page';
import { freePort } from '../infra/stack';
import type { Tracing } from '../runtime';
import { startTracing } from '../runtime';
import { ACCOUNT, REGION, useTestEnv } from './harness';
import { ORCA_HEADERS, pollTask } from './support/orca-client';
import { makeServerGroup } from './support/server-group';

const binary = path.join(defaultJaegerCacheDir(), 'bin', 'jaeger');
const jaegerBuilt = (() => {
  try {
    accessSync(binary, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();
if (!jaegerBuilt)
  process.stderr.write(
    `skipping the Jaeger trace viewer test: ${binary} is not built (npm start -- --jaeger builds it once, in about 40 minutes)\n`,
  );
const chromiumPresent = (() => {
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (jaegerBuilt && !chromiumPresent) process.stderr.write(`the Jaeger trace viewer test skips drawing the page: no ${CHROMIUM}\n`);

const describeWithJaeger = jaegerBuilt ? describe : describe.skip;

describeWithJaeger('the trace viewer Jaeger serves at the address npm start prints', () => {
  let jaeger: JaegerServer;
  let tracing: Tracing | undefined;
  let exporter: OTLPTraceExporter;
  beforeAll(async () => {
    // Free ports, so this runs beside an `npm start -- --jaeger` on the default ones.
    jaeger = await startJaeger({
      binary,
      dir: mkdtempSync(path.join(os.tmpdir(), 'bosun-jaeger-')),
      uiPort: await freePort(),
      otlpHttpPort: await freePort(),
      grpcQueryPort: await freePort(),
      healthPort: await freePort(),
    });
    exporter = new OTLPTraceExporter({ url: `${jaeger.otlpEndpoint}/v1/traces` });
    // Each span leaves as it ends, so the trace is in Jaeger as soon as the task is.
    tracing = await startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName: 'bosun-test' });
  }, 60_000);
  afterAll(async () => {
    await tracing?.shutdown();
    await jaeger?.stop();
  });

  const env = useTestEnv({ tracing: () => tracing! });

  test("a resize's trace, from the POST to each AWS call, at the printed address", async () => {
    const { name } = await makeServerGroup(env, { prefix: 'viewed', suffix: '-v001', min: 1, max: 1, desired: 1 });
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${env.facadeUrl}/aws/ops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ORCA_HEADERS, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify([
        { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: name, capacity: { min: 2, max: 2, desired: 2 } } },
      ]),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect((await pollTask(env.facadeUrl, id)).status).toMatchObject({ completed: true, failed: false });

    // The workflow's spans leave the sandbox through a sink after each activation: wait for the
    // workflow's own span (it ends last) to reach Jaeger.
    type Answer = { data?: { spans: { spanID: string; operationName: string; tags: { key: string; value: unknown }[] }[] }[] };
    let spans: NonNullable<Answer['data']>[number]['spans'] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const answer = await fetch(`${jaeger.uiUrl}/api/traces/${traceId}`);
      spans = answer.ok ? (((await answer.json()) as Answer).data?.[0]?.spans ?? []) : [];
      if (spans.some((s) => s.operationName === 'RunWorkflow:resizeServerGroup')) break;
    }
    const names = spans.map((s) => s.operationName);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /:cloudProvider/ops',
        'StartWorkflow:resizeServerGroup',
        'RunWorkflow:resizeServerGroup',
        'AutoScaling.UpdateAutoScalingGroup',
      ]),
    );

    // The printed address and the trace's deep link are the viewer's page (Jaeger answers every
    // path it does not route with index.html), with its script and its model beside it.
    const index = readFileSync(path.join(VIEWER_DIR, 'index.html'), 'utf8');
    for (const page of [`${jaeger.uiUrl}/`, `${jaeger.uiUrl}/trace/${traceId}`]) {
      const answer = await fetch(page);
      expect(answer.status).toBe(200);
      const html = await answer.text();
      expect(html).toContain('<title>Bosun traces</title>');
      expect(html).toContain('src="static/viewer.js"');
      // Jaeger filled in its version where the page asks for it: it served this page, not a copy.
      expect(html).not.toContain('= DEFAULT_VERSION;');
      expect(html.length).toBeGreaterThan(index.length / 2);
    }
    for (const file of ['viewer.js', 'trace-model.js', 'viewer.css']) {
      const answer = await fetch(`${jaeger.uiUrl}/static/${file}`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe(readFileSync(path.join(VIEWER_DIR, 'static', file), 'utf8'));
    }
    expect((await fetch(`${jaeger.uiUrl}/static/viewer.js`)).headers.get('content-type')).toMatch(/javascript/);

    if (!chromiumPresent) return;
    // The trace page as a browser draws it: a row per span, each kind of span there, AWS's
    // request ids on the AWS calls.
    const drawn = await renderPage(`${jaeger.uiUrl}/trace/${traceId}`);
    expect(drawn.state).toBe('ready');
    const rows = [
      ...drawn.html.matchAll(
        /<div class="row span[^"]*" data-span-id="[0-9a-f]+" data-kind="([a-z]+)">.*?<span class="op">([^<]+)<\/span>/g,
      ),
    ].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    expect(rows).toHaveLength(spans.length);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['http', 'POST /:cloudProvider/ops'],
        ['workflow', 'StartWorkflow:resizeServerGroup'],
        ['workflow', 'RunWorkflow:resizeServerGroup'],
        ['aws', 'AutoScaling.UpdateAutoScalingGroup'],
      ]),
    );
    expect(rows.some(([kind, op]) => kind === 'activity' && op.startsWith('RunActivity:'))).toBe(true);
    // The POST is the first row; the AWS call's request id is on its row.
    expect(rows[0]).toEqual(['http', 'POST /:cloudProvider/ops']);
    const update = spans.find((s) => s.operationName === 'AutoScaling.UpdateAutoScalingGroup')!;
    const requestId = String(update.tags.find((t) => t.key === 'aws.request_id')!.value);
    expect(drawn.html).toContain(`<b>request id </b>${requestId}`);
    expect(drawn.html).not.toContain('class="details"');
    // A link to a span opens it: all its attributes.
    const opened = await renderPage(`${jaeger.uiUrl}/trace/${traceId}#span=${update.spanID}`);
    const details = /<div class="details">.*?<\/table><\/div>/.exec(opened.html)?.[0] ?? '';
    for (const text of [
      update.spanID,
      'rpc.service',
      '"AutoScaling"',
      'rpc.method',
      '"UpdateAutoScalingGroup"',
      'aws.request_id',
      requestId,
    ])
      expect(details).toContain(text);

    // The list at the printed address has the trace, named by its root span.
    const list = await renderPage(`${jaeger.uiUrl}/`);
    expect(list.state).toBe('ready');
    expect(list.html).toMatch(new RegExp(`<tr data-trace-id="${traceId}">.*?POST /:cloudProvider/ops`));

    // An unknown trace is said plainly.
    const unknown = await renderPage(`${jaeger.uiUrl}/trace/${'0'.repeat(31)}1`);
    expect(unknown.state).toBe('error');
    expect(unknown.html).toContain('No trace');
  }, 180_000);
});

// Keeps the viewer's files where jaeger.ts points Jaeger, whether or not Jaeger is built.
test("the viewer's files are where Jaeger's config points", () => {
  for (const file of ['index.html', 'static/viewer.js', 'static/trace-model.js', 'static/viewer.css'])
    expect(existsSync(path.join(VIEWER_DIR, file))).toBe(true);
});
