/**
 * The facade's part of a task's trace (runtime/tracing.ts): each POST to one of Bosun's routes (a
 * submission, a cancel, a resume) is a SERVER span, the child of the caller's W3C `traceparent`
 * when Orca sends one, and the active span of the handler, so the workflow start it makes joins
 * the trace. The answer carries `traceparent` and `traceresponse` naming that span, so the caller
 * can find the trace of the task it just started. GETs (Orca's polls of `/task/{id}`, health,
 * metrics) are not traced: a task is polled every few seconds for its whole life, one trace per
 * poll would bury the one that matters.
 *
 * The hooks are the routes' own (added as each traced route is registered), so a GET runs none of
 * them, and a traced request pays for what a span needs and no more: a name and attributes built
 * once per route, the caller's context parsed only when it sent a header the propagators read,
 * the answer's headers set when the span starts (no `onSend` hook), the context made active once.
 */
import * as otel from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestAbortHookHandler,
  onRequestHookHandler,
  onResponseHookHandler,
  preValidationHookHandler,
  RawServerDefault,
  RouteOptions,
} from 'fastify';

const TRACED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a traced request carries from its first hook to its last. */
interface RequestSpan {
  readonly span: otel.Span;
  readonly context: otel.Context;
}

const spans = new WeakMap<FastifyRequest, RequestSpan>();

/** The W3C `traceparent` value naming `span` (also the `traceresponse` value, Trace Context level 2). */
export function traceparentOf(span: otel.Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags & otel.TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** A route's hooks of one kind (one, a list or none) with `hook` added first or last. */
function withHook<E, H>(existing: E | E[] | undefined, hook: H, at: 'first' | 'last'): (E | H)[] {
  const rest = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return at === 'first' ? [hook, ...rest] : [...rest, hook];
}

/** Adds the hooks that trace the facade's POSTs to each route of `app` registered after this call. */
export function traceRequests<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
  tracer: otel.Tracer = otel.trace.getTracer('bosun-facade'),
): void {
  // The headers the configured propagators read (`traceparent`, `tracestate`, `baggage` by
  // default; OTEL_PROPAGATORS may add b3 and others): a request with none of them is a new trace,
  // and parsing it would find nothing.
  const fields = otel.propagation.fields();
  const parentOf = (req: FastifyRequest): otel.Context => {
    for (const f of fields)
      if (req.headers[f] !== undefined) return otel.propagation.extract(otel.ROOT_CONTEXT, req.headers, otel.defaultTextMapGetter);
    return otel.ROOT_CONTEXT;
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    const method = [route.method].flat().find((m) => TRACED_METHODS.has(m));
    if (method === undefined) return;
    const name = `${method} ${route.url}`;
    const start: onRequestHookHandler = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const parent = parentOf(req);
      const q = req.url.indexOf('?');
      const span = tracer.startSpan(
        name,
        {
          kind: otel.SpanKind.SERVER,
          attributes: { 'http.request.method': method, 'http.route': route.url, 'url.path': q < 0 ? req.url : req.url.slice(0, q) },
        },
        parent,
      );
      spans.set(req, { span, context: otel.trace.setSpan(parent, span) });
      // Set now rather than in an onSend hook: a reply keeps its headers through an error's answer.
      const value = traceparentOf(span);
      void reply.header('traceparent', value).header('traceresponse', value);
      done();
    };
    // Activated once the body is read (stream callbacks run outside any context set earlier), so
    // validation, the preHandlers and the handler's whole async chain inherit the span.
    const activate: preValidationHookHandler = (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const s = spans.get(req);
      if (s) otel.context.with(s.context, done);
      else done();
    };
    const end: onResponseHookHandler = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const s = spans.get(req);
      if (s) {
        s.span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) s.span.setStatus({ code: otel.SpanStatusCode.ERROR });
        s.span.end();
        spans.delete(req);
      }
      done();
    };
    const abort: onRequestAbortHookHandler = (req: FastifyRequest, done: HookHandlerDoneFunction) => {
      const s = spans.get(req);
      if (s) {
        s.span.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'the client closed the connection' });
        s.span.end();
        spans.delete(req);
      }
      done();
    };
    route.onRequest = withHook(route.onRequest, start, 'first');
    route.preValidation = withHook(route.preValidation, activate, 'first');
    route.onResponse = withHook(route.onResponse, end, 'last');
    route.onRequestAbort = withHook(route.onRequestAbort, abort, 'last');
  });
}
