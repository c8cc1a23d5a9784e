import { ApplicationFailure } from '@temporalio/common';

/**
 * How one AWS failure should be treated. Retries belong to Temporal (DESIGN invariant 4), so
 * this decides only whether an attempt may be repeated, and names the failure for the UI.
 */
export interface AwsErrorClass {
  readonly retryable: boolean;
  /** The AWS error code (`Throttling`, `ValidationError`…) or a network error name. */
  readonly type: string;
  readonly message: string;
  readonly httpStatus: number | undefined;
}

/** Codes AWS uses for "slow down": always worth another attempt after a backoff. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** Codes that mean "the service had trouble or the group is busy", not "your request is wrong". */
const TRANSIENT = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'ResourceContentionFault',
  'ScalingActivityInProgressFault',
  'ScalingActivityInProgress',
  'RequestTimeout',
  'RequestTimeoutException',
  'IDPCommunicationError',
  'EC2ThrottledException',
  'InsufficientInstanceCapacity',
]);

/** Node and SDK names for a connection that broke or never came up. */
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
  'AbortError',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function classifyAwsError(err: unknown): AwsErrorClass {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const type = code && NETWORK.has(code) ? code : name;

  let retryable: boolean;
  if (THROTTLING.has(name) || TRANSIENT.has(name)) retryable = true;
  else if (NETWORK.has(name) || (code !== undefined && NETWORK.has(code))) retryable = true;
  else if (status !== undefined && (status >= 500 || status === 429)) retryable = true;
  else if (e.$fault === 'server') retryable = true;
  else if (e.$retryable !== undefined && e.$retryable !== null) retryable = true;
  // No HTTP answer at all and no AWS error code: the request never completed (socket trouble).
  else if (status === undefined && e.$fault === undefined && !name.endsWith('Exception') && !name.endsWith('Fault')) retryable = true;
  else retryable = false;

  return { retryable, type, message, httpStatus: status };
}

/**
 * Runs one AWS call and turns its failure into an ApplicationFailure Temporal understands:
 * retryable ones are retried by the activity's retry policy; the rest fail at once with the
 * AWS code as the failure type, so the UI and the task's EXCEPTION name it.
 */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const c = classifyAwsError(err);
    const message = `${what} failed: ${c.type}${c.httpStatus ? ` (HTTP ${c.httpStatus})` : ''}: ${c.message}`;
    const details = [{ awsErrorCode: c.type, httpStatus: c.httpStatus ?? null }];
    throw c.retryable
      ? ApplicationFailure.retryable(message, c.type, ...details)
      : ApplicationFailure.nonRetryable(message, c.type, ...details);
  }
}
