/**
 * Where one posted task runs: on Temporal, or (unchanged) on the legacy Clouddriver. One task,
 * one system: an operation Bosun does not run, an application or account the onboarding flag
 * keeps on Clouddriver (in any region the task touches), or a field Bosun does not honour sends
 * the whole task there. Each decision is logged and counted.
 */
import type { FastifyRequest } from 'fastify';
import type { RoutingDecision } from '../routing';
import { resolveOperationKey, unsupportedFieldMessage, unsupportedFieldsOf } from '../../domain/operations';
import type { FacadeContext } from './context';
import { ALL_TEMPORAL } from './context';
import { badRequest } from './errors';
import { header } from './http';
import type { OperationFacts } from './routing-facts';
import { factsOf, operationEntries, taskApplication } from './routing-facts';

export type TaskRoute = { readonly route: 'temporal' } | { readonly route: 'legacy'; readonly why: string };

export async function routeSubmission(
  ctx: FacadeContext,
  req: FastifyRequest,
  submission: { readonly body: unknown; readonly opInPath: string | undefined; readonly cloudProvider: string },
): Promise<TaskRoute> {
  const { metrics, legacy } = ctx;
  const user = header(req, 'X-SPINNAKER-USER');
  const entries = operationEntries(submission.body, submission.opInPath);
  const unknown = entries?.map(([k]) => k).filter((k) => !resolveOperationKey(k)) ?? [];
  if (unknown.length > 0 && legacy) {
    req.log.info({ route: 'legacy', rule: 'unsupported-operation', operations: unknown.slice(0, 10), user }, 'routed to legacy');
    metrics.routing.inc({ route: 'legacy', rule: 'unsupported-operation' });
    metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
    return { route: 'legacy', why: 'unsupported operation' };
  }
  // Not a list of operations, or one Bosun does not run and no legacy Clouddriver: the parse
  // (submission.ts) refuses it, by name.
  if (!entries || unknown.length > 0) return { route: 'temporal' };

  const facts = entries.map(([k, d]) => factsOf(k, d));
  const application = taskApplication(facts, header(req, 'X-SPINNAKER-APPLICATION'));
  const decision = await decide(ctx, facts, application, submission.cloudProvider, user);
  req.log.info(
    {
      route: decision.route,
      rule: decision.rule,
      reason: decision.reason,
      application,
      operations: facts.map((f) => f.key),
      accounts: [...new Set(facts.map((f) => f.account))],
      user,
    },
    'routing decision',
  );
  if (decision.route === 'legacy') {
    metrics.routing.inc({ route: 'legacy', rule: decision.rule });
    metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
    return {
      route: 'legacy',
      why: `application ${application ?? '(unknown)'} is not routed to Bosun: ${decision.reason} (rule ${decision.rule})`,
    };
  }
  // A field Bosun does not run would make the task do something else here than on
  // Clouddriver: the whole task goes there (one task, one system), or is refused by name.
  const unsupported = entries.flatMap(([key, d], i) =>
    unsupportedFieldsOf(key, d).map((f) => ({ ...f, at: submission.opInPath === undefined ? `[${i}].${key}` : '' })),
  );
  if (unsupported.length > 0) {
    const fields = unsupported.map((f) => [f.at, f.field].filter(Boolean).join('.'));
    req.log.info({ route: 'legacy', rule: 'unsupported-field', fields: fields.slice(0, 10), application, user }, 'routing decision');
    if (!legacy) {
      const errors = unsupported.map((f) => unsupportedFieldMessage(f.at, f));
      throw badRequest(
        `${errors.slice(0, 3).join('; ')}${errors.length > 3 ? '; …' : ''}; and no legacy Clouddriver is configured (BOSUN_LEGACY_CLOUDDRIVER_URL)`,
        errors,
      );
    }
    metrics.routing.inc({ route: 'legacy', rule: 'unsupported-field' });
    metrics.tasks.inc({ route: 'legacy', outcome: 'forwarded' });
    return { route: 'legacy', why: `Bosun does not run ${fields.join(', ')}` };
  }
  metrics.routing.inc({ route: 'temporal', rule: decision.rule });
  return { route: 'temporal' };
}

/** One task, one route: Temporal only if the flag sends every operation, in every region, there. */
async function decide(
  ctx: FacadeContext,
  facts: readonly OperationFacts[],
  application: string | undefined,
  cloudProvider: string,
  user: string | undefined,
): Promise<RoutingDecision> {
  if (!ctx.router) return ALL_TEMPORAL;
  let decision: RoutingDecision | undefined;
  for (const f of facts) {
    const regions: (string | undefined)[] = f.regions.length > 0 ? [...f.regions] : [undefined];
    for (const region of regions) {
      const d = await ctx.router.decide({
        application,
        account: f.account ?? 'unknown',
        region,
        cloudProvider,
        operation: resolveOperationKey(f.key) ?? f.key,
        user,
      });
      if (d.route === 'legacy') return d;
      decision ??= d;
    }
  }
  return decision ?? ALL_TEMPORAL;
}
