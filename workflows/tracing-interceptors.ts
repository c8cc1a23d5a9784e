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

/** One set per workflow run: whether its start carried a trace decides every later call. */
export const interceptors = (): WorkflowInterceptors => {
  let otel: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor } | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      if (input.headers[TRACE_HEADER] === undefined) return next(input);
      otel = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor() };
      return otel.inbound.execute(input, next);
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
