/**
 * Temporal's remote codec protocol (`POST {endpoint}/decode` and `/encode`), so the Temporal UI
 * can show payloads the SecretsCodec encrypted. The UI calls it from the browser, hence CORS.
 * Put it behind your SSO proxy in production: whoever can call it can read user data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { HttpError, parseJson, readBody, sendJson } from './http';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function corsHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, x-namespace, authorization',
    'access-control-allow-credentials': 'true',
  };
}

export async function handleCodec(codec: PayloadCodec, req: IncomingMessage, res: ServerResponse, action: 'encode' | 'decode'): Promise<void> {
  for (const [k, v] of Object.entries(corsHeaders(req))) res.setHeader(k, v);
  const body = parseJson(await readBody(req, 16 * 1024 * 1024)) as { payloads?: unknown };
  if (!Array.isArray(body.payloads)) throw new HttpError(400, 'Bad Request', 'expected {"payloads": [...]}');
  const payloads = (body.payloads as JsonPayload[]).map(fromJson);
  const out = action === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
  sendJson(res, 200, { payloads: out.map(toJson) });
}
