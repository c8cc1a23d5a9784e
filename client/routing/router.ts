/**
 * Decides, per request, whether an operation runs on Temporal or goes to the legacy Clouddriver.
 * Evaluation goes through OpenFeature, so a team can plug in the provider it already runs
 * (flagd, LaunchDarkly, …); by default the provider is the flag file watched by FlagFileProvider.
 * Every decision names the rule that made it and the numbers behind it, is logged and counted,
 * and an error of any kind sends the request to legacy rather than failing it.
 */
import { randomUUID } from 'node:crypto';
import type { Client, EvaluationContext, EvaluationDetails, Provider } from '@openfeature/server-sdk';
import { ErrorCode, NOOP_PROVIDER, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import type { Counter, Gauge } from 'prom-client';
import { Registry } from 'prom-client';
import type { Logger } from '../../runtime';
import { metricsOn } from '../../runtime';
import type { RoutingSummary } from './flag-document';
import { plural } from './flag-document';
import { CONTEXT_KEYS, FLAG_KEYS, ROUTING_VARIANTS } from './flag-schema';
import type { FlagFileStatus, FlagState, OnInvalidAtStart, ReloadEvent } from './file-provider';
import { FLAG_STATES, FlagFileProvider } from './file-provider';

export const ROUTES = { temporal: 'temporal', legacy: 'legacy' } as const;
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** Rules that are not variants of the routing flag. */
export const SPECIAL_RULES = {
  killSwitch: 'kill-switch',
  noApplication: 'no-application',
  /** The flag could not be evaluated (no valid file yet, provider down, …): legacy, the safe side. */
  evaluationError: 'evaluation-error',
} as const;

/** What is known about a request when it is routed; these become the evaluation context. */
export interface RoutingContext {
  readonly application?: string | undefined;
  readonly account: string;
  readonly region?: string | undefined;
  readonly cloudProvider: string;
  readonly operation: string;
  readonly user?: string | undefined;
}

export interface RoutingDecision {
  readonly route: Route;
  /** The routing flag's variant, or 'kill-switch', 'no-application', 'evaluation-error'. */
  readonly rule: string;
  /** One sentence for a person, naming the numbers ("application myapp is in the allowlist of 3 applications"). */
  readonly reason: string;
  readonly flagState: FlagState;
}

export interface RouterStatus extends Partial<FlagFileStatus> {
  readonly provider: string;
  readonly state: FlagState;
}

export interface CreateRouterInput {
  /** The flag file (flagd format); unused when `provider` is given. */
  readonly flagFile?: string;
  readonly logger: Logger;
  /** Where the routing metrics go; a private registry when absent. */
  readonly registry?: Registry;
  readonly onInvalidAtStart?: OnInvalidAtStart;
  /** Any OpenFeature server provider (flagd, LaunchDarkly, …) instead of the flag file. */
  readonly provider?: Provider;
  /** Passed to the flag-file provider (tests shorten them). */
  readonly debounceMs?: number;
  readonly recheckIntervalMs?: number;
}

export interface Router {
  /** Never throws: any failure routes to legacy with rule 'evaluation-error'. */
  decide(ctx: RoutingContext): Promise<RoutingDecision>;
  status(): RouterStatus;
  close(): Promise<void>;
}

/**
 * Starts a router on an OpenFeature domain of its own (not the global default provider), so
 * several routers — tests, or a facade with two flag sources — do not replace each other.
 * Rejects with a FlagFileError naming the file and its problems when the file is missing or
 * invalid and `onInvalidAtStart` is 'fail' (the default).
 */
export async function createRouter(input: CreateRouterInput): Promise<Router> {
  const { logger } = input;
  const registry = input.registry ?? new Registry();
  const metrics = routingMetrics(registry);
  if (!input.provider && !input.flagFile) throw new Error('createRouter needs a flagFile or a provider');
  const provider =
    input.provider ??
    new FlagFileProvider({
      file: input.flagFile!,
      logger,
      onInvalidAtStart: input.onInvalidAtStart,
      debounceMs: input.debounceMs,
      recheckIntervalMs: input.recheckIntervalMs,
    });
  const fileProvider = provider instanceof FlagFileProvider ? provider : undefined;
  const domain = `bosun-routing-${randomUUID()}`;
  const log = logger.child({ module: 'routing' });

  const unsubscribe = fileProvider?.addReloadListener((event: ReloadEvent) => {
    metrics.reloads.inc({ result: event.result === 'ok' ? 'ok' : 'rejected' });
  });
  try {
    await OpenFeature.setProviderAndWait(domain, provider);
  } catch (err) {
    unsubscribe?.();
    await fileProvider?.onClose();
    await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER).catch(() => undefined);
    throw err;
  }
  const client = OpenFeature.getClient(domain);
  let closed = false;

  const status = (): RouterStatus => {
    if (fileProvider) return { provider: provider.metadata.name, ...fileProvider.fileStatus() };
    return { provider: provider.metadata.name, state: stateOf(client.providerStatus) };
  };
  const publishState = () => {
    const current = status().state;
    for (const s of Object.values(FLAG_STATES)) metrics.state.set({ state: s }, s === current ? 1 : 0);
  };
  // The SDK updates its own status on these events before handlers run; the gauge follows.
  const onEvent = () => publishState();
  for (const e of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error, ProviderEvents.ConfigurationChanged])
    client.addHandler(e, onEvent);
  publishState();
  log.info({ domain, ...status() }, 'router started');

  const decide = async (ctx: RoutingContext): Promise<RoutingDecision> => {
    let decision: RoutingDecision;
    try {
      decision = closed
        ? { route: ROUTES.legacy, rule: SPECIAL_RULES.evaluationError, reason: 'the router is closed: legacy', flagState: status().state }
        : await evaluate({ client, ctx, status: status(), summary: fileProvider?.summary() });
    } catch (err) {
      decision = {
        route: ROUTES.legacy,
        rule: SPECIAL_RULES.evaluationError,
        reason: `routing failed (${(err as Error).message}): legacy`,
        flagState: FLAG_STATES.error,
      };
    }
    try {
      metrics.decisions.inc({ route: decision.route, rule: decision.rule });
      log.debug({ ...contextFields(ctx), ...decision }, 'routing decision');
    } catch {
      // Metrics and logs must never change where a request goes.
    }
    return decision;
  };

  return {
    decide,
    status,
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      for (const e of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error, ProviderEvents.ConfigurationChanged])
        client.removeHandler(e, onEvent);
      await fileProvider?.onClose();
      // Replacing the provider makes the SDK close it (and drop our handlers on the domain).
      await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
    },
  };
}

// --- evaluation ------------------------------------------------------------------------------

interface EvaluateInput {
  readonly client: Client;
  readonly ctx: RoutingContext;
  readonly status: RouterStatus;
  readonly summary: RoutingSummary | undefined;
}

async function evaluate({ client, ctx, status, summary }: EvaluateInput): Promise<RoutingDecision> {
  const flagState = status.state;
  const legacy = (rule: string, reason: string): RoutingDecision => ({ route: ROUTES.legacy, rule, reason, flagState });
  const app = ctx.application?.trim();
  if (!app) {
    return legacy(
      SPECIAL_RULES.noApplication,
      `no application could be resolved for this ${ctx.operation} on account ${ctx.account}: legacy`,
    );
  }
  const evalCtx = evaluationContext({ ...ctx, application: app });

  const kill = await client.getBooleanDetails(FLAG_KEYS.killSwitch, false, evalCtx);
  // A provider without a kill switch flag (a team's own LaunchDarkly) simply has none.
  if (kill.errorCode && kill.errorCode !== ErrorCode.FLAG_NOT_FOUND)
    return legacy(SPECIAL_RULES.evaluationError, evaluationFailure(FLAG_KEYS.killSwitch, kill, status));
  if (kill.value) return legacy(SPECIAL_RULES.killSwitch, 'kill switch is on: everything goes to legacy');

  const details = await client.getBooleanDetails(FLAG_KEYS.routing, false, evalCtx);
  if (details.errorCode) return legacy(SPECIAL_RULES.evaluationError, evaluationFailure(FLAG_KEYS.routing, details, status));
  const rule = details.variant ?? (details.reason === 'DISABLED' ? 'disabled' : String(details.value));
  const route = details.value ? ROUTES.temporal : ROUTES.legacy;
  return { route, rule, reason: explain({ rule, route, ctx: { ...ctx, application: app }, summary, reason: details.reason }), flagState };
}

/** Exactly the documented keys; absent values are left out rather than sent as undefined. */
function evaluationContext(ctx: RoutingContext & { application: string }): EvaluationContext {
  const out: EvaluationContext = { targetingKey: ctx.application };
  for (const key of Object.values(CONTEXT_KEYS)) {
    const value = ctx[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function contextFields(ctx: RoutingContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.values(CONTEXT_KEYS)) if (ctx[key] !== undefined) out[key] = ctx[key];
  return out;
}

function evaluationFailure(flagKey: string, details: EvaluationDetails<boolean>, status: RouterStatus): string {
  if (status.state === FLAG_STATES.error && status.file) {
    return `flag file ${status.file} has no valid rules yet (${status.lastError ?? 'unknown problem'}): everything goes to legacy until it is fixed`;
  }
  return `flag ${flagKey} could not be evaluated (${details.errorCode}: ${details.errorMessage ?? 'no message'}): legacy`;
}

interface ExplainInput {
  readonly rule: string;
  readonly route: Route;
  readonly ctx: RoutingContext & { application: string };
  readonly summary: RoutingSummary | undefined;
  readonly reason: string | undefined;
}

function explain({ rule, route, ctx, summary, reason }: ExplainInput): string {
  const app = `application ${ctx.application}`;
  const apps = summary ? ` of ${plural(summary.applications.length, 'application')}` : '';
  switch (rule) {
    case ROUTING_VARIANTS.allowlisted:
      return `${app} is in the allowlist${apps}`;
    case ROUTING_VARIANTS.accountExcluded:
      return `account ${ctx.account} is excluded${summary ? ` (1 of ${plural(summary.excludedAccounts.length, 'excluded account')})` : ''}: legacy`;
    case ROUTING_VARIANTS.operationExcluded:
      return `operation ${ctx.operation} is excluded${summary ? ` (1 of ${plural(summary.excludedOperations.length, 'excluded operation')})` : ''}: legacy`;
    case ROUTING_VARIANTS.applicationExcluded:
      return `${app} was offboarded${summary ? ` (1 of ${plural(summary.excludedApplications.length, 'offboarded application')})` : ''}: legacy`;
    case ROUTING_VARIANTS.rolloutOn:
      return `${app} is not in the allowlist${apps} but falls in the ${summary ? `${summary.rolloutPercent}% ` : ''}rollout: Temporal`;
    case ROUTING_VARIANTS.rolloutOff:
      return `${app} is not in the allowlist${apps} and falls outside the ${summary ? `${summary.rolloutPercent}% ` : ''}rollout: legacy`;
    case ROUTING_VARIANTS.off:
      return `${app} is not in the allowlist${apps} and no rollout is set: legacy`;
    case 'disabled':
      return `flag ${FLAG_KEYS.routing} is disabled: everything goes to legacy`;
    default:
      return `rule '${rule}' matched (${reason ?? 'no reason given'}): ${route === ROUTES.temporal ? 'Temporal' : 'legacy'}`;
  }
}

function stateOf(status: ProviderStatus): FlagState {
  if (status === ProviderStatus.READY) return FLAG_STATES.ready;
  if (status === ProviderStatus.STALE) return FLAG_STATES.stale;
  return FLAG_STATES.error;
}

// --- metrics ---------------------------------------------------------------------------------

/** Metrics are reused when already in the registry, so several routers can share one. */
function routingMetrics(registry: Registry) {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const { counter, gauge } = metricsOn(registry);
  return {
    decisions:
      existing<Counter<'route' | 'rule'>>('bosun_routing_decisions_total') ??
      counter('bosun_routing_decisions_total', 'Routing decisions, by route (temporal or legacy) and the rule that made them', [
        'route',
        'rule',
      ]),
    reloads:
      existing<Counter<'result'>>('bosun_flag_reloads_total') ??
      counter('bosun_flag_reloads_total', 'Flag file versions seen after start: ok (in force) or rejected (last good rules kept)', [
        'result',
      ]),
    state:
      existing<Gauge<'state'>>('bosun_flag_state') ??
      gauge('bosun_flag_state', 'State of the flag source: 1 for the current state (READY, STALE or ERROR), 0 for the others', ['state']),
  };
}
