/**
 * The envelope every workflow returns. Business failures (missing AMI, capacity constraint not
 * met) are results, so a workflow that "failed" in Clouddriver's sense still completes in
 * Temporal with its reasons recorded; only infrastructure trouble is retried.
 */
export type WorkflowResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: OperationError };

/** Everything Clouddriver's EXCEPTION result object carries, plus the failure's type. */
export interface OperationError {
  /** A `FailureType` from domain/failures (`CapacityConstraintViolated`…), or an AWS code passed through (`Throttling`…). */
  readonly type: string;
  readonly message: string;
  /** The operation that failed, e.g. `resizeServerGroup`. */
  readonly operation: string;
  readonly details: readonly string[];
  /** True when running the task again may succeed (Orca then calls `POST /task/{id}:resume`). */
  readonly retryable: boolean;
}

export function ok<T>(value: T): WorkflowResult<T> {
  return { ok: true, value };
}

export function failed<T = never>(error: OperationError): WorkflowResult<T> {
  return { ok: false, error };
}
