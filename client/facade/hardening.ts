/**
 * What the facade does about requests no client should send, before any route sees them:
 * targets that would let a client pick the legacy Clouddriver's host or climb out of its base
 * path, GETs with bodies (a request smuggled inside), and what Node's HTTP parser refuses before
 * Fastify sees a request (answered here as a JSON 4xx on the raw socket, then the socket closes).
 * The size, time and header limits are the Fastify instance's options (server.ts).
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, errorBody, HttpError, reasonPhrase, sendError } from './errors';
import { targetProblem } from './http';

/** The onRequest check every request passes: a refused one is answered 400 and goes no further. */
export async function refuseUnsafeRequests(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const problem = targetProblem(req.url);
  if (problem) return sendError(reply, badRequest(`refusing request target ${JSON.stringify(req.url.slice(0, 200))}: ${problem}`));
  if (
    (req.method === 'GET' || req.method === 'HEAD') &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)
  ) {
    return sendError(reply, badRequest(`a ${req.method} request may not carry a body`));
  }
  return undefined;
}

/** Node's parser error codes and the answers they get (anything else: a 400). */
const PARSER_REFUSALS: ReadonlyMap<string, { readonly status: number; readonly message: string }> = new Map([
  ['HPE_HEADER_OVERFLOW', { status: 431, message: 'the request headers are too large' }],
  ['ERR_HTTP_REQUEST_TIMEOUT', { status: 408, message: 'the request did not arrive in time' }],
  ['CONNECT_REFUSED', { status: 405, message: 'CONNECT is refused: the facade is not a tunnel' }],
]);

/**
 * What Node's HTTP parser refused before Fastify saw a request (a malformed request line,
 * Content-Length with Transfer-Encoding, oversized headers): a JSON 4xx, then the socket closes.
 */
export function writeClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy();
    return;
  }
  const known = err.code !== undefined ? PARSER_REFUSALS.get(err.code) : undefined;
  const refusal = new HttpError(
    known?.status ?? 400,
    known?.message ?? `the request could not be parsed as HTTP/1.1 (${err.code ?? 'malformed'})`,
  );
  const body = JSON.stringify(errorBody(refusal, '', 'none'));
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reasonPhrase(refusal.status)}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

/** CONNECT (authority-form) never reaches Fastify; Node would drop the socket without a word. */
export function refuseConnect(server: http.Server): void {
  server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
    writeClientError(Object.assign(new Error('CONNECT is not served'), { code: 'CONNECT_REFUSED' }), socket);
  });
}
