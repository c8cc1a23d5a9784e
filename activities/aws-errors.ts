import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';

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
  /**
   * Neither an AWS answer nor a network failure (a TypeError, a credentials error): a Bosun bug or
   * a configuration problem, which no backoff fixes. Tried a few times, then the task fails.
   */
  readonly unexpected: boolean;
}

/** Attempts an unexpected error gets before the call fails for good (DESIGN invariant 9). */
export const UNEXPECTED_ERROR_ATTEMPTS = 3;

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

/** Whether an AWS error code (classifyAwsError's `type`) means AWS throttled the call. */
export function isThrottling(code: string): boolean {
  return THROTTLING.has(code);
}

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

/**
 * The SDK wraps a transport failure that happened before any HTTP answer as a plain `Error`
 * named `Error` with `$metadata` and the message "AWS SDK error wrapper for <Name>: <message>"
 * (a reset connection arrives as "… for TimeoutError: socket hang up").
 */
const SDK_WRAPPER = /^AWS SDK error wrapper for (\w+)/;
const NETWORK_MESSAGE =
  /\b(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|ECONNABORTED|EHOSTUNREACH|ENETUNREACH)\b|socket hang up/;

/** Whether an AWS SDK error is AWS throttling this caller (`Throttling`, `RequestLimitExceeded`, …, or HTTP 429). */
export function isAwsThrottling(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  return (typeof e.name === 'string' && THROTTLING.has(e.name)) || e.$metadata?.httpStatusCode === 429;
}

/** Sorts an AWS SDK error into retryable (throttling, 5xx, timeouts, resets) or not (the request was wrong), with its code. */
export function classifyAwsError(err: unknown): AwsErrorClass {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const wrapped = typeof e.$metadata === 'object' && e.$metadata !== null ? SDK_WRAPPER.exec(message)?.[1] : undefined;
  const name = wrapped ?? (typeof e.name === 'string' ? e.name : 'Error');
  const messageCode = wrapped ? NETWORK_MESSAGE.exec(message)?.[1] : undefined;
  const code = typeof e.code === 'string' ? e.code : messageCode;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const type = code && NETWORK.has(code) ? code : name;

  let retryable: boolean;
  let unexpected = false;
  if (THROTTLING.has(name) || TRANSIENT.has(name)) retryable = true;
  else if (NETWORK.has(name) || (code !== undefined && NETWORK.has(code))) retryable = true;
  else if (status !== undefined && (status >= 500 || status === 429)) retryable = true;
  else if (e.$fault === 'server') retryable = true;
  else if (e.$retryable !== undefined && e.$retryable !== null) retryable = true;
  else if (wrapped && NETWORK_MESSAGE.test(message)) retryable = true;
  // No HTTP answer, no AWS fault and no network code: not trouble AWS or the network had, so not
  // something backoff fixes. (Treated as socket trouble, a TypeError was retried for 2 hours.)
  else if (status === undefined && e.$fault === undefined) {
    retryable = false;
    unexpected = true;
  } else retryable = false;

  return { retryable, type, message, httpStatus: status, unexpected };
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
    if (c.unexpected) throw unexpectedFailure(`${what} failed`, err);
    const message = `${what} failed: ${c.type}${c.httpStatus ? ` (HTTP ${c.httpStatus})` : ''}: ${c.message}`;
    const details = [{ awsErrorCode: c.type, httpStatus: c.httpStatus ?? null }];
    throw c.retryable
      ? ApplicationFailure.retryable(message, c.type, ...details)
      : ApplicationFailure.nonRetryable(message, c.type, ...details);
  }
}

/**
 * A delete through `awsCall`: true when it deleted, false when `gone` recognises the failure as
 * "not there", which an idempotent delete counts as done; any other failure is thrown.
 */
export async function awsDelete(what: string, call: () => Promise<unknown>, gone: (err: unknown) => boolean): Promise<boolean> {
  try {
    await awsCall(what, call);
    return true;
  } catch (err) {
    if (gone(err)) return false;
    throw err;
  }
}

/**
 * A describe through `awsCall` that answers null when AWS says the resource is not there
 * (`isAwsNotFound` for one of `kinds`), which a describe by name or id counts as an answer; any
 * other failure is thrown as `awsCall` throws it.
 */
export async function awsDescribe<T>(what: string, call: () => Promise<T>, ...kinds: readonly AwsResourceKind[]): Promise<T | null> {
  return awsCall(what, () =>
    call().catch((err: unknown) => {
      if (kinds.some((kind) => isAwsNotFound(err, kind))) return null;
      throw err;
    }),
  );
}

/**
 * An error that is neither AWS's nor the network's (from `awsCall`, or thrown by activity code
 * itself, see `boundUnexpectedErrors`): retried on the next attempts, as a credentials fetch may
 * just have been unlucky, but after `UNEXPECTED_ERROR_ATTEMPTS` attempts the call fails for good
 * with a message that says so, instead of being retried for the whole window like throttling.
 */
export function unexpectedFailure(what: string, err: unknown, attempt = currentAttempt()): ApplicationFailure {
  const name = err instanceof Error ? err.name : typeof err;
  const text = err instanceof Error ? err.message : String(err);
  const last = attempt >= UNEXPECTED_ERROR_ATTEMPTS;
  const message =
    `${what}: ${name}: ${text} (an unexpected error, neither an AWS answer nor a network failure: ` +
    `${last ? `gave up after ${attempt} attempts` : `attempt ${attempt} of ${UNEXPECTED_ERROR_ATTEMPTS}`}; a Bosun bug or a configuration problem)`;
  const details = [{ error: name, attempt }];
  return ApplicationFailure.create({
    type: FailureType.UnexpectedError,
    message,
    nonRetryable: last,
    details,
    cause: err instanceof Error ? err : undefined,
  });
}

function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // not inside an activity (a unit test)
  }
}

/**
 * Runs an activity so that whatever it throws is classified: failures it made itself
 * (ApplicationFailure, cancellation) pass unchanged; anything else is unexpected and bounded.
 */
export async function boundUnexpectedErrors<T>(activityType: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
    // Network trouble thrown outside awsCall is still network trouble.
    const c = classifyAwsError(err);
    if (c.retryable) throw err;
    throw unexpectedFailure(`activity ${activityType} failed`, err);
  }
}

/**
 * The AWS error code an error carries: the failure type of an ApplicationFailure made by
 * `awsCall`, or the `name` of a raw SDK exception (a catch inside the `awsCall` callback).
 */
export function awsErrorCode(err: unknown): string | undefined {
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  if (typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string')
    return (err as { name: string }).name;
  return undefined;
}

/** True when the error carries one of these AWS codes (`AlreadyExistsFault`, …). */
export function hasAwsCode(err: unknown, ...codes: readonly string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** The kinds of AWS resource Bosun asks about and may find missing. */
export type AwsResourceKind =
  | 'autoScalingGroup'
  | 'launchConfiguration'
  | 'launchTemplate'
  | 'launchTemplateVersion'
  | 'targetGroup'
  | 'classicLoadBalancer'
  | 'instance'
  | 'image'
  | 'alarm';

const LAUNCH_TEMPLATE_GONE = ['InvalidLaunchTemplateId.NotFound', 'InvalidLaunchTemplateName.NotFoundException'];

/**
 * How each kind's "not found" looks, on AWS and on the emulator (see AWS-EMULATOR.md). `codes`
 * match the code alone; `validation` matches a `ValidationError` whose message says not found,
 * which is how Auto Scaling reports a missing group or instance.
 */
const NOT_FOUND: Record<AwsResourceKind, { readonly codes: readonly string[]; readonly validation?: RegExp }> = {
  // AWS: ValidationError "AutoScalingGroup name not found"; the emulator answers the same way.
  autoScalingGroup: { codes: [], validation: /not found/i },
  // AWS: ValidationError "Launch configuration name not found - ..." (the emulator deletes a missing one without a word).
  launchConfiguration: { codes: [], validation: /not found/i },
  // AWS: InvalidLaunchTemplateId.NotFound for a missing id; the emulator (and AWS by name):
  // InvalidLaunchTemplateName.NotFoundException.
  launchTemplate: { codes: LAUNCH_TEMPLATE_GONE },
  // The version is gone, or the whole template is.
  launchTemplateVersion: { codes: [...LAUNCH_TEMPLATE_GONE, 'InvalidLaunchTemplateId.VersionNotFound'] },
  // Wire code TargetGroupNotFound; the SDK's modelled class is named TargetGroupNotFoundException.
  targetGroup: { codes: ['TargetGroupNotFound', 'TargetGroupNotFoundException'] },
  // Classic ELB's wire code is LoadBalancerNotFound; the SDK names its class AccessPointNotFoundException.
  classicLoadBalancer: {
    codes: ['LoadBalancerNotFound', 'LoadBalancerNotFoundException', 'AccessPointNotFound', 'AccessPointNotFoundException'],
  },
  // EC2 says InvalidInstanceID.NotFound; Auto Scaling says ValidationError "Instance Id not found".
  instance: { codes: ['InvalidInstanceID.NotFound'], validation: /not found/i },
  // A malformed or unavailable id names no image Bosun can use either.
  image: { codes: ['InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable'] },
  // CloudWatch: ResourceNotFound (the SDK's class: ResourceNotFoundException).
  alarm: { codes: ['ResourceNotFound', 'ResourceNotFoundException'] },
};

/**
 * The one answer to "did AWS say this resource does not exist?", for an ApplicationFailure from
 * `awsCall` or a raw SDK error. Callers decide what not-found means (success on delete, null on
 * describe); this only recognises it, with AWS's codes and the emulator's variants.
 */
export function isAwsNotFound(err: unknown, kind: AwsResourceKind): boolean {
  const code = awsErrorCode(err);
  if (code === undefined) return false;
  const rule = NOT_FOUND[kind];
  if (rule.codes.includes(code)) return true;
  return rule.validation !== undefined && code === 'ValidationError' && rule.validation.test((err as Error).message ?? '');
}
