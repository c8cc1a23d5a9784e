/**
 * Traces: one trace per task, from the facade's POST through the workflow start, the workflow,
 * each activity and each AWS call (docs/observability.md). The OpenTelemetry SDK and Temporal's
 * interceptors are loaded only when tracing is on (about 300 ms of module loading a process
 * without a collector never pays); off, the only cost left is the API's no-op tracer and a
 * header check per workflow and activity.
 *
 * What each part contributes:
 * - the global tracer provider (AsyncLocalStorage context, W3C trace context propagation), so the
 *   facade's request span (client/facade/tracing.ts) is the active span of its Temporal calls and
 *   an activity's span is the active span of its AWS calls (activities/aws-tracing.ts);
 * - the client interceptor: a workflow start made inside a traced request becomes a
 *   `StartWorkflow:<type>` span whose context travels to the workflow in a header;
 * - the worker's activity interceptor (`RunActivity:<type>`) and the sink that takes the spans
 *   the workflow interceptors (workflows/tracing-interceptors.ts) make inside the sandbox.
 */
import * as otel from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { BosunConfig } from '../config';

/**
 * The header in which Temporal's OpenTelemetry interceptors carry a span context (the package's
 * `TRACE_HEADER`, which its public exports do not include). Workflows and activities without it
 * were not started inside a trace and make no spans.
 */
export const TRACE_HEADER = '_tracer-data';

/** What a process's Temporal client and worker add to be part of a trace. */
export interface Tracing {
  readonly enabled: boolean;
  /** The client's workflow interceptors: starts (and signals, cancels…) inside a traced request become spans. */
  readonly clientInterceptors: WorkflowClientInterceptor[];
  /** The worker's activity interceptors: `RunActivity:<type>` spans under the workflow's. */
  readonly activityInterceptors: ActivityInterceptorsFactory[];
  /**
   * The sink the workflow interceptors export through. Registered on every worker, on or off: a
   * workflow started by a traced facade may run on a worker that is not, and a worker without the
   * sink logs an error for each of its activations.
   */
  readonly workflowSinks: InjectedSinks<OpenTelemetrySinks>;
  /** Exports what is still buffered and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** No tracing: the no-op sink and nothing else. */
export const TRACING_OFF: Tracing = Object.freeze({
  enabled: false,
  clientInterceptors: [],
  activityInterceptors: [],
  workflowSinks: { exporter: { export: { fn: () => undefined } } },
  shutdown: async () => undefined,
});

/** Whether the configuration turns tracing on (see `tracing` in config/index.ts). */
export function tracingEnabled(config: BosunConfig): boolean {
  const t = config.tracing;
  if (t.disabled || t.exporter === 'none') return false;
  return t.exporter !== undefined || t.endpoint !== undefined || t.tracesEndpoint !== undefined;
}

/** The OTLP/HTTP traces URL: the traces endpoint as given, else `<endpoint>/v1/traces` (the OTLP exporter's rule). */
export function otlpTracesUrl(config: BosunConfig): string | undefined {
  const t = config.tracing;
  if (t.tracesEndpoint) return t.tracesEndpoint;
  return t.endpoint ? `${t.endpoint.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Starts tracing as configured, for a process named `component` (the service name is
 * `bosun-<component>` unless OTEL_SERVICE_NAME says otherwise): OTLP over HTTP/protobuf in
 * batches, or the console. Off, nothing is loaded and TRACING_OFF is the answer.
 */
export async function startConfiguredTracing(config: BosunConfig, component: string): Promise<Tracing> {
  if (!tracingEnabled(config)) return TRACING_OFF;
  const base = await import('@opentelemetry/sdk-trace-base');
  let processor: SpanProcessor;
  if (config.tracing.exporter === 'console') processor = new base.SimpleSpanProcessor(new base.ConsoleSpanExporter());
  else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const url = otlpTracesUrl(config);
    processor = new base.BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {}));
  }
  return startTracing({ spanProcessor: processor, serviceName: config.tracing.serviceName ?? `bosun-${component}` });
}

/**
 * Registers the global tracer provider with `spanProcessor` (tests pass an in-memory exporter's)
 * and answers the Temporal parts that feed it. One per process: a second call replaces the global
 * provider of the first.
 */
export async function startTracing(opts: { readonly spanProcessor: SpanProcessor; readonly serviceName: string }): Promise<Tracing> {
  const [{ NodeTracerProvider }, resources, interceptors] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const resource = resources.Resource.default()
    .merge(resources.envDetectorSync.detect())
    .merge(new resources.Resource({ 'service.name': opts.serviceName }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [opts.spanProcessor] });
  // AsyncLocalStorage context and W3C `traceparent` propagation (OTEL_PROPAGATORS may add others).
  provider.register();
  const clientInterceptor = new interceptors.OpenTelemetryWorkflowClientInterceptor();
  return {
    enabled: true,
    clientInterceptors: [onlyInsideTraces(clientInterceptor)],
    activityInterceptors: [
      (ctx) => {
        const inbound = new interceptors.OpenTelemetryActivityInboundInterceptor(ctx);
        const outbound = new interceptors.OpenTelemetryActivityOutboundInterceptor(ctx);
        return {
          inbound: {
            execute: (input, next) =>
              input.headers[TRACE_HEADER] === undefined
                ? next(input)
                : inbound.execute(input, (i) => {
                    // Temporal's retries of the activity: attempt 3 is the third try of the same call.
                    otel.trace.getActiveSpan()?.setAttribute('temporal.activity.attempt', ctx.info.attempt);
                    return next(i);
                  }),
          },
          outbound,
        };
      },
    ],
    workflowSinks: { exporter: interceptors.makeWorkflowExporter(opts.spanProcessor, resource) },
    async shutdown() {
      await provider.shutdown();
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}

/**
 * Temporal's client interceptor, for calls made inside a recording span only: a start in a
 * traced POST joins its trace, while the facade's polls of a task (queries, describes) and its
 * background listing make no root span each.
 */
function onlyInsideTraces(inner: WorkflowClientInterceptor): WorkflowClientInterceptor {
  const traced = (): boolean => otel.trace.getActiveSpan()?.isRecording() === true;
  const wrapped: WorkflowClientInterceptor = {};
  const methods = [
    'start',
    'startWithDetails',
    'signal',
    'signalWithStart',
    'startUpdate',
    'startUpdateWithStart',
    'query',
    'terminate',
    'cancel',
    'describe',
  ] as const;
  for (const method of methods) {
    const own = inner[method] as ((input: unknown, next: (input: unknown) => Promise<unknown>) => Promise<unknown>) | undefined;
    if (!own) continue;
    (wrapped as Record<string, unknown>)[method] = (input: unknown, next: (input: unknown) => Promise<unknown>) =>
      traced() ? own.call(inner, input, next) : next(input);
  }
  return wrapped;
}
