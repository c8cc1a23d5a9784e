/**
 * The facade's request spans (tracing.ts) on a bare Fastify app: which requests are traced, the
 * span's parent and attributes, the answer's headers (also on an error's answer) and the span
 * being the handler's active span. test/tracing.test.ts follows the same through a real worker.
 */
import * as otel from '@opentelemetry/api';
import Fastify from 'fastify';
import { useInMemoryTracing } from '../../test/support/tracing';
import { traceRequests } from './tracing';

const { exporter } = useInMemoryTracing('facade-tracing-test');
beforeEach(() => exporter.reset());

function app() {
  const a = Fastify();
  traceRequests(a);
  a.post('/:cloudProvider/ops', { onRequest: (_req, _reply, done) => done() }, async (req) => {
    // The handler's async chain sees the POST's span as active (the workflow start joins it).
    await new Promise((r) => setImmediate(r));
    return { active: otel.trace.getActiveSpan()?.spanContext().spanId, body: req.body };
  });
  a.post('/task/:id/cancel', async (_req, reply) => reply.code(400).send({ error: 'no such task' }));
  a.get('/task/:id', async () => ({ active: otel.trace.getActiveSpan()?.spanContext().spanId ?? null }));
  return a;
}

/** One request over HTTP (light-my-request's inject does not load under Jest here). */
async function call(
  a: ReturnType<typeof app>,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const url = await a.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

test("a POST is a SERVER span, the child of the caller's traceparent, active in the handler and named in the answer", async () => {
  const a = app();
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const res = await call(a, 'POST', '/aws/ops?x=1', { traceparent: `00-${traceId}-b7ad6b7169203331-01` }, { a: 1 });
  expect(res.status).toBe(200);
  const [span, ...rest] = exporter.getFinishedSpans();
  expect(rest).toEqual([]);
  expect(span!.name).toBe('POST /:cloudProvider/ops');
  expect(span!.kind).toBe(otel.SpanKind.SERVER);
  expect(span!.spanContext().traceId).toBe(traceId);
  expect(span!.parentSpanId).toBe('b7ad6b7169203331');
  expect(span!.attributes).toMatchObject({
    'http.request.method': 'POST',
    'http.route': '/:cloudProvider/ops',
    'url.path': '/aws/ops',
    'http.response.status_code': 200,
  });
  expect((res.json as { active: string }).active).toBe(span!.spanContext().spanId);
  expect(res.headers.get('traceparent')).toBe(`00-${traceId}-${span!.spanContext().spanId}-01`);
  expect(res.headers.get('traceresponse')).toBe(res.headers.get('traceparent'));
  await a.close();
});

test('a POST without a traceparent is a new trace; an error answer still names its span', async () => {
  const a = app();
  const res = await call(a, 'POST', '/task/abc/cancel');
  expect(res.status).toBe(400);
  const [span] = exporter.getFinishedSpans();
  expect(span!.name).toBe('POST /task/:id/cancel');
  expect(span!.attributes['http.response.status_code']).toBe(400);
  expect(span!.attributes['url.path']).toBe('/task/abc/cancel');
  expect(res.headers.get('traceparent')).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
  await a.close();
});

test('GETs (the polls of a task) make no span and carry no trace header', async () => {
  const a = app();
  const res = await call(a, 'GET', '/task/abc', { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ active: null });
  expect(res.headers.get('traceparent')).toBeNull();
  expect(exporter.getFinishedSpans()).toEqual([]);
  await a.close();
});
