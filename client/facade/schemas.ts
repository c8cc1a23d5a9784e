/**
 * The zod schemas of the facade's path parameters, query strings and bodies: the routes validate
 * with them (through fastify-type-provider-zod, before any Temporal call) and openapi.ts describes
 * them. Messages read like the JSON Schema ones Orca's operators know ("must match pattern …").
 */
import { z } from 'zod';

/** Task ids are workflow ids: Bosun's are UUIDs, Clouddriver's too. */
export const TASK_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
/** Orca sends a SHA-256 hex digest; allow some room for other clients, nothing that needs escaping. */
export const CLIENT_REQUEST_ID_PATTERN = '^[A-Za-z0-9._:-]{0,256}$';

const text = () => z.string({ error: 'must be string' });
const matching = (pattern: string) => text().regex(new RegExp(pattern), { error: `must match pattern "${pattern}"` });
const short = text().max(256, { error: 'must NOT have more than 256 characters' }).optional();

export const taskParams = z.object({ id: matching(TASK_ID_PATTERN) });

export const opsParams = z.object({
  cloudProvider: matching('^[A-Za-z0-9_-]{1,64}$').optional(),
  operation: matching('^[A-Za-z0-9_.-]{1,128}$').optional(),
});

export const opsQuery = z.object({ clientRequestId: matching(CLIENT_REQUEST_ID_PATTERN).optional() });

export const routingQuery = z.object({
  application: short,
  account: short,
  region: short,
  cloudProvider: short,
  operation: short,
  user: short,
});

/**
 * A body as the bytes the client sent (or none): an operations POST parses it only after its
 * size and depth limits (http.ts parseJsonBody), and a request forwarded to the legacy
 * Clouddriver carries it unchanged.
 */
export const rawBody = z.instanceof(Buffer).optional();
