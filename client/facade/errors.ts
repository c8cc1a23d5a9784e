/**
 * The facade's HTTP errors, named by the status they answer, and Clouddriver's error body
 * (`timestamp`, `status`, `error`, `message`, `errors`, `path`) that every one of them is sent as.
 * A route throws one (`throw badRequest('…')`); the app's one error handler (server.ts) sends it.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/** An HTTP answer with a Clouddriver-style error body; `error` is the status's reason phrase. */
export class HttpError extends Error {
  readonly error: string;

  constructor(
    readonly status: number,
    message: string,
    readonly errors: readonly string[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
    this.error = reasonPhrase(status);
  }
}

/** Node's reason phrase for a status ("Bad Request", "Request Header Fields Too Large"). */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown Status';
}

export const badRequest = (message: string, errors?: readonly string[]) => new HttpError(400, message, errors);
export const unauthorized = (message: string) => new HttpError(401, message);
export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
export const internalServerError = (message: string) => new HttpError(500, message);
export const badGateway = (message: string) => new HttpError(502, message);
export const serviceUnavailable = (message: string) => new HttpError(503, message);
export const gatewayTimeout = (message: string) => new HttpError(504, message);

/** Error lists are capped: a body of 100,000 bad entries must not become a 60 MB answer. */
export const MAX_ERRORS = 20;

export function capErrors(errors: readonly string[], max = MAX_ERRORS): string[] {
  if (errors.length <= max) return [...errors];
  return [...errors.slice(0, max), `… and ${errors.length - max} more problems`];
}

export function errorBody(err: HttpError, path: string, requestId: string): Record<string, unknown> {
  return {
    timestamp: Date.now(),
    status: err.status,
    error: err.error,
    message: err.message,
    ...(err.errors.length > 0 ? { errors: capErrors(err.errors) } : {}),
    path,
    requestId,
  };
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  const req = reply.request;
  return reply
    .code(err.status)
    .type('application/json;charset=UTF-8')
    .send(errorBody(err, pathOf(req.url), String(req.id)));
}

/** The path of a request target, without its query (never parsed as a URL: it is not one yet). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
