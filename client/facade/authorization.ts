/**
 * Clouddriver's write check, as the facade applies it to tasks Bosun runs: Orca sends the user
 * and the accounts that user may write to (`X-SPINNAKER-USER`, `X-SPINNAKER-ACCOUNTS`); an
 * operation on any other account is refused, naming the account.
 */
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
