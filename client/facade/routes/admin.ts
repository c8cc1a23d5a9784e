/**
 * What operators and tools read, never Orca: `GET /health`, `/metrics` (Prometheus),
 * `/openapi.json` (openapi.ts) and `/routing` (where a task with these facts would run, and why).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RoutingContext } from '../../routing';
import { forwardedWhy, resolveOperationKey, routedFieldsOf } from '../../../domain/operations';
import type { FacadeContext } from '../context';
import { ALL_TEMPORAL } from '../context';
import { openApiDocument } from '../openapi';
import { routingQuery } from '../schemas';

export const adminRoutes: FastifyPluginAsyncZod<{ readonly context: FacadeContext }> = async (app, { context: ctx }) => {
  const { router, legacy, metrics } = ctx;

  app.get('/health', { config: { route: 'health' } }, async () => {
    const flags = router?.status();
    const degraded = flags !== undefined && flags.state !== 'READY';
    return { status: degraded ? 'DEGRADED' : 'UP', flags: flags ?? { state: 'NONE' }, legacy: legacy?.url ?? null };
  });

  app.get('/metrics', { config: { route: 'metrics' } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { config: { route: 'openapi' } }, async () => openApiDocument());

  app.get('/routing', { config: { route: 'routing' }, schema: { querystring: routingQuery } }, async (req) => {
    // An empty parameter counts as absent, as in the POST's routing.
    const q = (k: keyof typeof req.query) => req.query[k] || undefined;
    const operation = q('operation') ?? 'createServerGroup';
    const question: RoutingContext = {
      application: q('application'),
      account: q('account') ?? 'unknown',
      region: q('region'),
      cloudProvider: q('cloudProvider') ?? 'aws',
      operation: resolveOperationKey(operation) ?? operation,
      user: q('user'),
    };
    const decision = router ? await router.decide(question) : ALL_TEMPORAL;
    const name = resolveOperationKey(operation);
    return {
      question,
      ...decision,
      ...(name
        ? {}
        : { route: 'legacy', rule: 'unsupported-operation', reason: `Bosun does not run ${operation}: ${forwardedWhy(operation)}` }),
      // The fields of this operation that send a task to the legacy Clouddriver (rule unsupported-field).
      ...(name ? { unsupportedFields: routedFieldsOf(name) } : {}),
      legacyConfigured: Boolean(legacy),
      flags: router?.status() ?? { state: 'NONE' },
    };
  });
};
