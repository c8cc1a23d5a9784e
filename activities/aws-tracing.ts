/**
 * One span per AWS call in a traced activity (runtime/tracing.ts): `<Service>.<Operation>`, a
 * CLIENT span under the activity's, with the AWS request id, the SDK's attempts and Temporal's
 * attempt of the activity; each attempt AWS throttled is an `aws.throttled` event on it. Calls
 * made outside a recording span (tracing off, an untraced task) pass straight through.
 */
import * as otel from '@opentelemetry/api';
import { activityInfo } from '@temporalio/activity';
import { classifyAwsError, isThrottling } from './aws-errors';

/** The span attributes of an AWS call (OpenTelemetry's RPC and AWS conventions, plus Bosun's retry counts). */
export const AwsSpanAttribute = {
  system: 'rpc.system',
  service: 'rpc.service',
  operation: 'rpc.method',
  region: 'cloud.region',
  requestId: 'aws.request_id',
  httpStatus: 'http.response.status_code',
  /** Attempts the SDK made for this call (its own retries; 1 unless BOSUN_AWS_SDK_MAX_ATTEMPTS says more). */
  sdkAttempts: 'aws.sdk.attempts',
  /** Temporal's attempt of the activity that made the call (its retries of a throttled or failed call). */
  activityAttempt: 'temporal.activity.attempt',
  errorCode: 'aws.error.code',
} as const;

interface CallContext {
  clientName?: string;
  commandName?: string;
}
interface Metadata {
  requestId?: unknown;
  attempts?: unknown;
  httpStatusCode?: unknown;
}
type Handler = (args: unknown) => Promise<{ output?: { $metadata?: Metadata } }>;
type Middleware = (next: Handler, context: CallContext) => Handler;
interface WithMiddleware {
  middlewareStack: {
    add(mw: Middleware, options: { step: 'initialize' | 'finalizeRequest'; name: string; priority?: 'high' | 'low' }): void;
  };
}

const tracer = (): otel.Tracer => otel.trace.getTracer('bosun-aws');

/** `EC2Client` → `EC2`; the SDK names its clients after the service. */
const serviceOf = (context: CallContext): string => (context.clientName ?? 'AWS').replace(/Client$/, '');
const operationOf = (context: CallContext): string => (context.commandName ?? 'Unknown').replace(/Command$/, '');

function metadataOf(value: unknown): Metadata | undefined {
  const md = (value as { $metadata?: unknown } | null | undefined)?.$metadata;
  return typeof md === 'object' && md !== null ? md : undefined;
}

function recordMetadata(span: otel.Span, md: Metadata | undefined): void {
  if (!md) return;
  if (typeof md.requestId === 'string' && md.requestId) span.setAttribute(AwsSpanAttribute.requestId, md.requestId);
  if (typeof md.attempts === 'number') span.setAttribute(AwsSpanAttribute.sdkAttempts, md.attempts);
  if (typeof md.httpStatusCode === 'number') span.setAttribute(AwsSpanAttribute.httpStatus, md.httpStatusCode);
}

function currentActivityAttempt(): number | undefined {
  try {
    return activityInfo().attempt;
  } catch {
    // Not inside an activity (the facade's or a script's own calls).
    return undefined;
  }
}

/** Opens the call's span around everything the SDK does for it (all its attempts). */
const callSpan: Middleware = (next, context) => async (args) => {
  if (otel.trace.getActiveSpan()?.isRecording() !== true) return next(args);
  const service = serviceOf(context);
  const operation = operationOf(context);
  const attempt = currentActivityAttempt();
  return tracer().startActiveSpan(
    `${service}.${operation}`,
    {
      kind: otel.SpanKind.CLIENT,
      attributes: {
        [AwsSpanAttribute.system]: 'aws-api',
        [AwsSpanAttribute.service]: service,
        [AwsSpanAttribute.operation]: operation,
        ...(attempt !== undefined ? { [AwsSpanAttribute.activityAttempt]: attempt } : {}),
      },
    },
    async (span) => {
      try {
        const result = await next(args);
        recordMetadata(span, result.output?.$metadata);
        return result;
      } catch (err) {
        recordMetadata(span, metadataOf(err));
        const c = classifyAwsError(err);
        span.setAttribute(AwsSpanAttribute.errorCode, c.type);
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: `${c.type}: ${c.message}` });
        throw err;
      } finally {
        span.end();
      }
    },
  );
};

/** Inside the SDK's retries: each attempt AWS throttled is an event on the call's span. */
const attemptEvents: Middleware = (next) => async (args) => {
  try {
    return await next(args);
  } catch (err) {
    const span = otel.trace.getActiveSpan();
    if (span?.isRecording()) {
      const c = classifyAwsError(err);
      if (isThrottling(c.type)) {
        const requestId = metadataOf(err)?.requestId;
        span.addEvent('aws.throttled', {
          [AwsSpanAttribute.errorCode]: c.type,
          ...(typeof requestId === 'string' ? { [AwsSpanAttribute.requestId]: requestId } : {}),
        });
      }
    }
    throw err;
  }
};

/** Adds the call span and the per-attempt throttling events to `client`'s middleware stack. */
export function traceAwsCalls(client: object): void {
  const stack = (client as WithMiddleware).middlewareStack;
  stack.add(callSpan, { step: 'initialize', name: 'bosunTraceCall', priority: 'high' });
  // Inside the SDK's retry middleware (finalizeRequest, high) and outside the deserializer, which
  // turns AWS's answer into the error whose code this reads.
  stack.add(attemptEvents, { step: 'finalizeRequest', name: 'bosunTraceAttempt', priority: 'low' });
}
