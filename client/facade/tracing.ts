/**
 * The facade's part of a task's trace (runtime/tracing.ts): each POST (a submission, a cancel, a
 * resume) is a SERVER span, the child of the caller's W3C `traceparent` when Orca sends one, and
 * the active span of the handler, so the workflow start it makes joins the trace. The answer
 * carries `traceparent` and `traceresponse` naming that span, so the caller can find the trace of
 * the task it just started. GETs (Orca's polls of `/task/{id}`, health, metrics) are not traced:
 * a task is polled every few seconds for its whole life, one trace per poll would bury the one
 * that matters.
 */
import * as otel from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';

const spans = new WeakMap<FastifyRequest, { span: otel.Span; context: otel.Context }>();

const traced = (req: FastifyRequest): boolean => req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';

/** The W3C `traceparent` value naming `span` (also the `traceresponse` value, Trace Context level 2). */
function traceparentOf(span: otel.Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & otel.TraceFlags.SAMPLED).toString(16).padStart(2, '0')}`;
}

/** Registers the hooks that trace the facade's POSTs on `app` (call it before the routes are added). */
export function traceRequests<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
  tracer: otel.Tracer = otel.trace.getTracer('bosun-facade'),
): void {
  app.addHook('onRequest', (req, _reply, done) => {
    if (!traced(req)) return done();
    const parent = otel.propagation.extract(otel.ROOT_CONTEXT, req.headers, otel.defaultTextMapGetter);
    const route = req.routeOptions.url ?? 'unrouted';
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      {
        kind: otel.SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0] ?? req.url },
      },
      parent,
    );
    spans.set(req, { span, context: otel.trace.setSpan(parent, span) });
    done();
  });
  // Activated right before the handler: the body is read by then (stream callbacks run outside
  // any context set earlier), and the handler's whole async chain inherits the span.
  app.addHook('preHandler', (req, _reply, done) => {
    const s = spans.get(req);
    if (!s) return done();
    otel.context.with(s.context, done);
  });
  app.addHook('onSend', (req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    const s = spans.get(req);
    if (s) {
      const value = traceparentOf(s.span);
      reply.header('traceparent', value);
      reply.header('traceresponse', value);
    }
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const s = spans.get(req);
    if (s) {
      s.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) s.span.setStatus({ code: otel.SpanStatusCode.ERROR });
      s.span.end();
      spans.delete(req);
    }
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    const s = spans.get(req);
    if (s) {
      s.span.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'the client closed the connection' });
      s.span.end();
      spans.delete(req);
    }
    done();
  });
}
