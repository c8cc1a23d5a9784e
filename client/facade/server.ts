/**
 * The Clouddriver-compatible HTTP facade, on Fastify. Orca posts operations and polls tasks
 * exactly as it does against Clouddriver; the onboarding flag decides per task whether it runs
 * as a Temporal workflow or goes, unchanged, to the legacy Clouddriver (legacy.ts). The facade
 * holds no state: a task id is a workflow id, and everything it answers comes from Temporal (or
 * the legacy Clouddriver).
 *
 * This is the app module: the Fastify instance and its limits, the hooks every request passes
 * (hardening.ts, metrics), the one error handler, the legacy proxy for every path Bosun does not
 * serve, and one plugin per route group (routes/): operations, tasks, admin. A new route goes
 * into its group's plugin, with its zod schemas in schemas.ts.
 *
 * Nothing a client sends may crash or wedge it: targets are checked before routing, bodies are
 * bounded in size and depth and parsed by the framework's rules, every error ends in the error
 * handler as a JSON 4xx (the client's mistake), 503 (Temporal unreachable) or 500 (a Bosun bug,
 * logged with the request id).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import replyFrom from '@fastify/reply-from';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createContext } from './context';
import { badRequest, HttpError, internalServerError, notFound, pathOf, sendError, serviceUnavailable } from './errors';
import { refuseConnect, refuseUnsafeRequests, writeClientError } from './hardening';
import { causeChain, isTemporalUnavailable } from './http';
import type { FacadeMetrics } from './metrics';
import { createFacadeMetrics } from './metrics';
import { traceRequests } from './tracing';
import type { FacadeOptions } from './options';
import { adminRoutes } from './routes/admin';
import { operationRoutes } from './routes/operations';
import { taskRoutes } from './routes/tasks';

export type { FacadeLimits, FacadeOptions, RouteDecider, RunningTasksSettings } from './options';
export { DEFAULT_LIMITS, DEFAULT_RUNNING_TASKS } from './options';

export interface Facade {
  readonly server: http.Server;
  readonly metrics: FacadeMetrics;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The metrics label of what answered: the route's name, or 'legacy' once forwarded. */
    bosunRoute: string;
  }
  interface FastifyContextConfig {
    route?: string;
  }
}

export function createFacade(opts: FacadeOptions): Facade {
  const metrics = opts.metrics ?? createFacadeMetrics();
  const context = createContext(opts, metrics);
  const bodyLimit = opts.maxBodyBytes ?? 1024 * 1024;
  let closing = false;

  const app = Fastify({
    loggerInstance: opts.logger.child({ module: 'facade' }),
    // One line per request at debug (below); Fastify's two info lines per request would drown the rest.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    // The request id is Bosun's own: a client-chosen one could collide or forge log lines.
    requestIdHeader: false,
    bodyLimit,
    keepAliveTimeout: 65_000,
    // A client that trickles its request (slowloris) is cut off rather than holding a socket.
    requestTimeout: 30_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Malformed percent-encoding and the like, found while routing: the client's mistake.
    frameworkErrors: (err, _req, reply) => {
      void sendError(reply, badRequest(`the request target is invalid: ${err.message}`));
    },
    clientErrorHandler: writeClientError,
  }).withTypeProvider<ZodTypeProvider>();
  // Params, query strings and bodies are checked by their zod schemas (schemas.ts).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('bosunRoute', '');
  if (opts.tracing) traceRequests(app);

  // Every body is kept as the bytes sent: an operations POST is parsed by the route (after its
  // limits), and a forwarded request must reach Clouddriver exactly as the client sent it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    req.bosunRoute = req.routeOptions.config.route ?? 'unrouted';
    if (closing) reply.header('connection', 'close');
    return refuseUnsafeRequests(req, reply);
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', String(req.id));
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.bosunRoute || 'unrouted';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    req.log.debug(
      { method: req.method, path: pathOf(req.url).slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime), route },
      'request',
    );
  });
  app.setErrorHandler(answerError);

  // Clouddriver's read APIs and everything else Bosun does not implement.
  app.setNotFoundHandler((req, reply) => {
    if (context.legacy) return context.toLegacy(reply, rawBodyOf(req), 'not a Bosun route');
    return sendError(
      reply,
      notFound(`no route for ${req.method} ${pathOf(req.url).slice(0, 200)} (and no legacy Clouddriver is configured)`),
    );
  });
  refuseConnect(app.server);

  // reply.from for the legacy Clouddriver, on every route (the plugin is not encapsulated).
  if (context.legacy) void app.register(replyFrom, context.legacy.proxy);
  void app.register(operationRoutes, { context });
  void app.register(taskRoutes, { context });
  void app.register(adminRoutes, { context });
  const ready = (async () => {
    await app.ready();
  })();

  return {
    server: app.server,
    metrics,
    async listen(port, host) {
      await ready;
      await app.listen({ port, host });
      const a = app.server.address();
      return typeof a === 'object' && a ? `http://${a.address}:${a.port}` : String(a);
    },
    async close() {
      closing = true;
      // A client polling on a kept-alive connection would keep the server open for ever (seen
      // under chaos); give in-flight requests 2 s, then close every connection.
      const force = setTimeout(() => app.server.closeAllConnections(), 2000);
      force.unref();
      try {
        await ready.catch(() => undefined);
        await app.close();
      } finally {
        clearTimeout(force);
        await context.caches.listed.close();
      }
    },
  };
}

/** The body of a request no route claimed, as the bytes sent (the content-type parser keeps every body as a Buffer). */
function rawBodyOf(req: FastifyRequest): Buffer | undefined {
  return Buffer.isBuffer(req.body) ? req.body : undefined;
}

/** The one error handler: a client's mistake is its 4xx, Temporal unreachable a 503, anything else a Bosun bug (500). */
function answerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HttpError) {
    if (err.status >= 500) req.log.warn({ path: pathOf(req.url), status: err.status, message: err.message }, 'request failed');
    return sendError(reply, err);
  }
  if (err.validation) return sendError(reply, badRequest(`invalid request: ${err.message}`));
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(reply, new HttpError(err.statusCode, err.message));
  }
  if (isTemporalUnavailable(err)) {
    // The request was not taken; Orca retries the POST.
    req.log.error({ err, path: pathOf(req.url) }, 'Temporal did not answer');
    return sendError(
      reply,
      serviceUnavailable(`Temporal did not answer (nothing was started or changed by this request; retry it): ${causeChain(err)}`),
    );
  }
  req.log.error({ err, path: pathOf(req.url) }, 'Bosun bug: unexpected error while answering a request');
  return sendError(
    reply,
    internalServerError(`Bosun failed to answer (request id ${String(req.id)}); the facade's log has the details under this id`),
  );
}
