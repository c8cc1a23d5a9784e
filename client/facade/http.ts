import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP answer with a Clouddriver-style error body (`error`, `message`, `errors`, `status`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly errors: readonly string[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError, path: string): void {
  sendJson(res, err.status, {
    timestamp: Date.now(),
    status: err.status,
    error: err.error,
    message: err.message,
    ...(err.errors.length > 0 ? { errors: err.errors } : {}),
    path,
  });
}

/** Reads the body up to `limit` bytes; a larger body is refused with 413 before it is buffered whole. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(413, 'Payload Too Large', `the request body is ${declared} bytes; the limit is ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, 'Payload Too Large', `the request body is over the limit of ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'Bad Request', 'the request body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'Bad Request', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}
