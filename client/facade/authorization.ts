/**
 * Clouddriver's write check, as the facade applies it to tasks Bosun runs: Orca sends the user
 * and the accounts that user may write to (`X-SPINNAKER-USER`, `X-SPINNAKER-ACCOUNTS`); an
 * operation on any other account is refused, naming the account.
 */
import type { FastifyRequest } from 'fastify';
import type { HttpError } from './errors';
import { forbidden, unauthorized } from './errors';
import { header } from './http';

export interface AuthorizationPolicy {
  /** Refuse requests without `X-SPINNAKER-USER`. */
  readonly requireUser: boolean;
  /** Refuse operations on accounts missing from `X-SPINNAKER-ACCOUNTS`. */
  readonly checkAccounts: boolean;
}

export type AuthorizationResult = { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export function parseAccountsHeader(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

export function authorize(
  policy: AuthorizationPolicy,
  request: { readonly user?: string | undefined; readonly accountsHeader?: string | undefined; readonly accounts: readonly string[] },
): AuthorizationResult {
  if (policy.requireUser && !request.user) {
    return { ok: false, status: 401, message: 'the X-SPINNAKER-USER header is required: Bosun records who started every task' };
  }
  if (!policy.checkAccounts) return { ok: true };
  const allowed = new Set(parseAccountsHeader(request.accountsHeader));
  const refused = [...new Set(request.accounts)].filter((a) => !allowed.has(a));
  if (refused.length === 0) return { ok: true };
  const who = request.user ?? 'anonymous';
  const granted = allowed.size > 0 ? [...allowed].join(', ') : 'none (no X-SPINNAKER-ACCOUNTS header)';
  return {
    ok: false,
    status: 403,
    message: `${who} may not write to account${refused.length > 1 ? 's' : ''} ${refused.join(', ')} (X-SPINNAKER-ACCOUNTS grants: ${granted})`,
  };
}

/** A refusal as the facade answers it: 401 without a user, 403 for an account not granted. */
export function refusal(result: { readonly status: 401 | 403; readonly message: string }, prefix = ''): HttpError {
  return result.status === 401 ? unauthorized(`${prefix}${result.message}`) : forbidden(`${prefix}${result.message}`);
}

/**
 * Clouddriver's write check on an existing task (cancel, resume, a re-post of its
 * clientRequestId): the caller needs a user and every account the task writes to. A refusal
 * names the account and is logged with the user.
 */
export function authorizeTask(
  policy: AuthorizationPolicy,
  req: FastifyRequest,
  id: string,
  accounts: readonly string[],
  action: string,
): void {
  const user = header(req, 'X-SPINNAKER-USER');
  const auth = authorize(policy, { user, accountsHeader: header(req, 'X-SPINNAKER-ACCOUNTS'), accounts });
  if (auth.ok) return;
  req.log.warn({ user: user ?? null, taskId: id, action, accounts, status: auth.status }, `${action} refused`);
  throw refusal(auth, `${action} of task ${id} refused: `);
}
