/**
 * The workflow side of a task's trace (runtime/tracing.ts has the rest): Temporal's OpenTelemetry
 * workflow interceptors, for the runs that were started inside a trace only. Such a run's start
 * carries the span context in a header; its execution becomes a `RunWorkflow:<type>` span and
 * each activity it schedules (local ones too) a `StartActivity:<type>` span whose context the
 * activity receives. A run without the header (tracing off, or a run started before tracing
 * existed) goes through untouched: no span, no SDK flag, no extra yield, so the commands of the
 * committed histories replay exactly as recorded.
 *
 * Bundled with the workflows through `workflowInterceptorModules` (worker/workflow-bundle.ts);
 * the spans leave the sandbox through the `exporter` sink every worker registers.
 */
import type {
  ActivityInput,
  ContinueAsNewInput,
  LocalActivityInput,
  Next,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
  DisposeInput,
  WorkflowInternalsInterceptor,
  GetLogAttributesInput,
} from '@temporalio/workflow';
// Context and trace are what the workflow interceptors below span with (the bundle already holds
// this package for them); only the context manager is Bosun's own.
import { ROOT_CONTEXT, context as otelContext } from '@opentelemetry/api';
import type { Context, ContextManager } from '@opentelemetry/api';
// The package's root also exports its worker and plugin code, which the workflow sandbox cannot
// load; its workflow interceptors are published under this path (as its own samples import them).
// eslint-disable-next-line no-restricted-imports
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';

/** The header Temporal's OpenTelemetry interceptors carry a span context in (runtime/tracing.ts `TRACE_HEADER`). */
const TRACE_HEADER = '_tracer-data';

/**
 * The active span context of a traced run, without AsyncLocalStorage. Temporal's interceptors
 * register one built on the sandbox's AsyncLocalStorage, and the first `run` of any such storage
 * turns on Node's async and promise hooks for the whole workflow thread: every promise of every
 * workflow on that thread then pays a hook call, which made a traced resize cost a third more
 * CPU in the sandbox than an untraced one (docs/performance.md, "Tracing overhead").
 *
 * The spans a run makes need no more than this: a context is active for the synchronous extent of
 * `with` (where the interceptors start a span and inject its context into a header), and outside
 * any `with` the run's own `RunWorkflow` span is. So every `StartActivity` span is the child of
 * `RunWorkflow`, as before, and a workflow log line carries the run's trace. One difference: an
 * activity a signal handler schedules after its first `await` is the child of `RunWorkflow`
 * rather than of that `HandleSignal` span.
 */
class RunContextManager implements ContextManager {
  private readonly stack: Context[] = [];
  private run: Context | undefined;

  /** The context of the run's `RunWorkflow` span, active whenever no `with` is. */
  setRunContext(context: Context): void {
    this.run = context;
  }

  active(): Context {
    return this.stack[this.stack.length - 1] ?? this.run ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(context);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.stack.length = 0;
    this.run = undefined;
    return this;
  }
}

/** One set per workflow run: whether its start carried a trace decides every later call. */
export const interceptors = (): WorkflowInterceptors => {
  let otel: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor } | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      if (input.headers[TRACE_HEADER] === undefined) return next(input);
      otel = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor() };
      // The interceptors' constructors registered their AsyncLocalStorage context manager (module
      // state is per run in the sandbox); it is replaced before any span makes it run.
      const contexts = new RunContextManager();
      otelContext.disable();
      otelContext.setGlobalContextManager(contexts);
      return otel.inbound.execute(input, (i) => {
        contexts.setRunContext(otelContext.active());
        return next(i);
      });
    },
    // A signal sent from inside a trace (a traced cancel, say) joins it; polls' queries never do.
    handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) {
      return otel && input.headers[TRACE_HEADER] !== undefined ? otel.inbound.handleSignal(input, next) : next(input);
    },
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) =>
      otel ? otel.outbound.scheduleActivity(input, next) : next(input),
    scheduleLocalActivity: (input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) =>
      otel ? otel.outbound.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (
      input: StartChildWorkflowExecutionInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
    ) => (otel ? otel.outbound.startChildWorkflowExecution(input, next) : next(input)),
    continueAsNew: (input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) =>
      otel ? otel.outbound.continueAsNew(input, next) : next(input),
    signalWorkflow: (input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>) =>
      otel ? otel.outbound.signalWorkflow(input, next) : next(input),
    // Workflow log lines of a traced run carry its trace and span ids.
    getLogAttributes: (input: GetLogAttributesInput, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>) =>
      otel ? otel.outbound.getLogAttributes(input, next) : next(input),
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>) {
      // Its dispose is declared async but does all its work (and calls `next`) before returning.
      if (otel) void new OpenTelemetryInternalsInterceptor().dispose(input, next);
      else next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
