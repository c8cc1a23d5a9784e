/**
 * What every facade route shares: the checks made on request targets and bodies before any
 * work, and the line between a client's mistake (4xx), Temporal being unreachable (503) and a
 * Bosun bug (500). The errors themselves are in errors.ts.
 */
import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyRequest } from 'fastify';
import { jsonDepthExceeds } from '../../domain/json-limits';
import { badRequest, pathOf } from './errors';

export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}

/**
 * Why a request target is refused, or undefined when it is an origin-form path Bosun may route
 * or forward: absolute-form (`http://host/…`), authority-form and `*` targets would let a client
 * pick the upstream host; `//x` is a host to URL parsers; a `..` segment (also percent-encoded,
 * or behind a backslash) would climb out of the legacy Clouddriver's base path.
 */
export function targetProblem(url: string): string | undefined {
  if (!url.startsWith('/'))
    return 'only origin-form targets (/path?query) are accepted; absolute-form and authority-form targets are refused';
  const path = pathOf(url);
  if (path.startsWith('//')) return 'a target starting with // names a host, not a path';
  if (path.includes('\\')) return 'a backslash in the path is refused';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'the path has malformed percent-encoding';
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return 'the path decodes to a backslash or NUL';
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return 'dot segments (. or ..) in the path are refused';
  if (/%2f/i.test(path)) return 'an encoded slash (%2F) in the path is refused';
  return undefined;
}

/** Parses a JSON body after the depth check; `__proto__` and `constructor.prototype` keys are refused. */
export function parseJsonBody(body: Buffer | undefined, maxDepth: number): unknown {
  if (!body || body.length === 0 || body.toString('utf8').trim() === '') {
    throw badRequest('the request body is empty; expected JSON');
  }
  if (jsonDepthExceeds(body, maxDepth)) {
    throw badRequest(`the request body nests deeper than ${maxDepth} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (hasPoisonedKey(value)) throw badRequest('the request body holds a __proto__ or constructor.prototype key');
  return value;
}

function hasPoisonedKey(value: unknown): boolean {
  // Iterative: the depth is bounded already, but a wide body must not cost a deep stack either.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v)) {
      if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
      const ctor: unknown = Object.getOwnPropertyDescriptor(v, 'constructor')?.value;
      if (typeof ctor === 'object' && ctor !== null && 'prototype' in ctor) return true;
    }
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

// gRPC status codes that mean "Temporal did not take the request", not "the request was wrong".
const UNAVAILABLE_CODES = new Set([
  // CANCELLED: the facade cancels nothing itself but its per-request deadline (withDeadline), and
  // under load gRPC reports a call cut by that deadline as CANCELLED (seen 72 times in the
  // 2,000-operation chaos trial, answered 500 before): the same "Temporal did not answer".
  1,
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED (rate limited, overloaded)
  14, // UNAVAILABLE
]);

/** An error's message and its causes' ("Failed to start Workflow: 14 UNAVAILABLE: connection refused"), each once. */
export function causeChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    const message = cur.message.trim();
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    cur = cur.cause;
  }
  return parts.join(': ') || String(err);
}

/** True when an error means Temporal could not be reached or is overloaded (→ 503, Orca retries). */
export function isTemporalUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    if (isGrpcServiceError(cur) && UNAVAILABLE_CODES.has(cur.code)) return true;
    if (!(cur instanceof Error)) return false;
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Failed to connect|Connection dropped|TransportError/i.test(cur.message))
      return true;
    cur = cur.cause;
  }
  return false;
}
