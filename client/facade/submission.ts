/**
 * Turns a Clouddriver operations POST into validated operations, or into the list of problems
 * that a 400 reports. Both of Clouddriver's forms: a list of `{"<op>": {description}}` objects
 * (`POST /aws/ops`), and one description with the operation in the path (`POST /aws/ops/<op>`).
 */
import type { OperationRequest, OperationTargets } from '../../domain/operations';
import { expandDescription, parseOperation, resolveOperationKey, supportedOperationKeys, targetsOf } from '../../domain/operations';

export type Submission =
  { readonly ok: true; readonly operations: readonly OperationRequest[] } | { readonly ok: false; readonly errors: readonly string[] };

/** Operations one task may hold unless the caller says otherwise (the facade passes its setting). */
export const MAX_OPERATIONS = 50;
/** Problems reported for one body: enough to fix it, not a 60 MB answer to a 1 MB body of `{}`s. */
export const MAX_ERRORS = 50;

export interface SubmissionLimits {
  readonly maxOperations?: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field of an object of any operation's description (absent on anything else). */
function fieldOf(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

function unknownOperation(key: string, where: string): string {
  return `${where}unknown operation '${key}'; Bosun runs: ${supportedOperationKeys().join(', ')}`;
}

export function parseSubmission(body: unknown, operationInPath?: string, limits: SubmissionLimits = {}): Submission {
  const maxOperations = limits.maxOperations ?? MAX_OPERATIONS;
  const errors: string[] = [];
  const operations: OperationRequest[] = [];

  const add = (key: string, description: unknown, path: string) => {
    if (errors.length >= MAX_ERRORS) return;
    const name = resolveOperationKey(key);
    if (!name) {
      errors.push(unknownOperation(key, path ? `${path}: ` : ''));
      return;
    }
    if (!isObject(description)) {
      errors.push(`${path || key}: the description must be a JSON object`);
      return;
    }
    for (const one of expandDescription(name, description)) {
      const parsed = parseOperation(name, one, path);
      if (parsed.ok) operations.push(parsed.request);
      else errors.push(...parsed.errors);
    }
  };

  if (operationInPath !== undefined) {
    if (!isObject(body))
      return { ok: false, errors: [`the body of POST .../ops/${operationInPath} must be a JSON object (one description)`] };
    add(operationInPath, body, '');
  } else {
    if (!Array.isArray(body)) {
      return { ok: false, errors: ['the body must be a JSON list of operations, e.g. [{"resizeServerGroup": {…}}]'] };
    }
    if (body.length === 0) return { ok: false, errors: ['the list of operations is empty'] };
    // Counted before any description is read: the cost of a refusal must not grow with the body.
    if (body.length > maxOperations)
      return { ok: false, errors: [`a task may hold at most ${maxOperations} operations, got ${body.length}`] };
    body.forEach((entry, i) => {
      if (!isObject(entry) || Object.keys(entry).length === 0) {
        errors.push(`[${i}]: must be an object with one operation name as key, e.g. {"resizeServerGroup": {…}}`);
        return;
      }
      for (const [key, description] of Object.entries(entry)) add(key, description, `[${i}].${key}`);
    });
  }
  if (operations.length > maxOperations) errors.push(`a task may hold at most ${maxOperations} operations, got ${operations.length}`);
  if (errors.length > MAX_ERRORS)
    return { ok: false, errors: [...errors.slice(0, MAX_ERRORS), `… and ${errors.length - MAX_ERRORS} more problems`] };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, operations };
}

/** Where a whole task acts: the union of its operations' targets. */
export interface TaskTargets {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly serverGroups: readonly string[];
  readonly application: string | undefined;
}

/**
 * The application of a task: the `X-SPINNAKER-APPLICATION` header, else the first description
 * that names one (`application`, `moniker.app`), else the Frigga-parsed server group name.
 */
export function taskTargets(operations: readonly OperationRequest[], applicationHeader?: string): TaskTargets {
  const all: OperationTargets[] = operations.map(targetsOf);
  const uniq = (xs: readonly string[]) => [...new Set(xs)];
  return {
    accounts: uniq(all.map((t) => t.account)),
    regions: uniq(all.flatMap((t) => t.regions)),
    serverGroups: uniq(all.flatMap((t) => t.serverGroups)),
    application: applicationHeader?.trim() || all.find((t) => t.application)?.application,
  };
}

/**
 * Every account a task writes to, for the `X-SPINNAKER-ACCOUNTS` check: the target accounts,
 * plus a clone's source account and the account whose image allowLaunch shares.
 */
export function accountsOf(operations: readonly OperationRequest[]): string[] {
  const accounts = new Set<string>();
  for (const op of operations) {
    accounts.add(targetsOf(op).account);
    const source = fieldOf(fieldOf(op.description, 'source'), 'account');
    const sourceAccount = fieldOf(op.description, 'sourceAccount');
    if (typeof source === 'string') accounts.add(source);
    if (typeof sourceAccount === 'string') accounts.add(sourceAccount);
  }
  return [...accounts];
}
