/** What task ids and idempotency keys may look like: checked on every route before any Temporal call. */

/** Task ids are workflow ids: Bosun's are UUIDs, Clouddriver's too. */
export const TASK_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
/** Orca sends a SHA-256 hex digest; allow some room for other clients, nothing that needs escaping. */
export const CLIENT_REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{0,256}$';
