/**
 * The legacy path: requests Bosun does not run go to the configured Clouddriver, through
 * @fastify/reply-from (undici). Only the path and query of a request travel; the host is always
 * the configured one. Hop-by-hop headers and the headers a `Connection` header names are dropped
 * both ways, and a body is sent with the length it really has, so no framing a client chose
 * (chunked on a GET, CL and TE together) reaches Clouddriver.
 */
import type { FastifyReplyFromOptions } from '@fastify/reply-from';
import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { badGateway, badRequest, gatewayTimeout, pathOf, sendError } from './errors';
import { targetProblem } from './http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own ones: never forwarded, either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

function connectionNamed(headers: IncomingHttpHeaders | Record<string, unknown>): Set<string> {
  const value = headers.connection;
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return new Set(
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The headers a proxy may pass on: end-to-end ones only. */
export function endToEndHeaders<T extends Record<string, unknown>>(headers: T): T {
  const named = connectionNamed(headers);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[k] = v;
  }
  return out as T;
}

export interface LegacyClouddriver {
  readonly url: string;
  readonly origin: string;
  /** The proxy's settings: the app module registers @fastify/reply-from with them. */
  readonly proxy: FastifyReplyFromOptions;
  /**
   * Forwards the request to Clouddriver: the same method, path (under the base URL's path) and
   * query, `body` as the body (the bytes the client sent, or none).
   */
  forward(reply: FastifyReply, body: Buffer | undefined): FastifyReply;
  /** GETs a path upstream and parses JSON (for merging `GET /task` lists); undefined unless 200. */
  getJson(path: string, headers: IncomingHttpHeaders): Promise<unknown>;
}

export function createLegacyClouddriver(baseUrl: string, timeoutMs = 60_000): LegacyClouddriver {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new Error(`the legacy Clouddriver URL must be http(s), got ${base.protocol}`);
  const basePath = base.pathname.replace(/\/+$/, '');
  const origin = base.origin;

  return {
    url: base.href,
    origin,
    proxy: {
      base: origin,
      undici: { connections: 128, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: 10_000 } },
      // Orca retries on its own; a proxy that also retried would multiply writes.
      retryMethods: [],
      disableRequestLogging: true,
    },
    forward(reply, body) {
      const req = reply.request;
      // Checked on every request already (server.ts); checked again here because this is where
      // a bad target would do harm.
      const problem = targetProblem(req.url);
      if (problem) return sendError(reply, badRequest(`refusing to forward ${pathOf(req.url).slice(0, 200)}: ${problem}`));
      reply.header('x-bosun-route', 'legacy');
      return reply.from(basePath + pathOf(req.url), {
        body: body && body.length > 0 ? body : null,
        contentType: req.headers['content-type'] ?? 'application/octet-stream',
        rewriteRequestHeaders: (_req, headers) => {
          const out = endToEndHeaders(headers);
          if (body && body.length > 0) out['content-length'] = String(body.length);
          else delete out['content-length'];
          return out;
        },
        rewriteHeaders: (headers) => ({ ...endToEndHeaders(headers), 'x-bosun-route': 'legacy' }),
        onError: (r, { error }) => {
          const cause = error.cause instanceof Error ? error.cause : undefined;
          const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
          const timeout = /timeout/i.test(`${error.name} ${code} ${cause?.name ?? ''}`);
          const message = `the legacy Clouddriver at ${origin} did not answer: ${cause?.message ?? error.message}`;
          sendError(r as unknown as FastifyReply, timeout ? gatewayTimeout(message) : badGateway(message));
        },
      });
    },
    async getJson(path, headers) {
      const out = endToEndHeaders({ ...headers });
      for (const h of ['content-length', 'content-type', 'host']) delete out[h];
      const res = await fetch(`${origin}${basePath}${path}`, {
        headers: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        return undefined;
      }
      return await res.json();
    },
  };
}
