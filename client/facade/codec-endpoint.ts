/**
 * Temporal's remote codec protocol (`POST /decode` and `/encode`), so the Temporal UI can show
 * payloads the SecretsCodec encrypted. Whoever can call it reads user data, so it runs on a
 * listener of its own (never the Orca-facing one), off unless configured, answers only callers
 * with the token (`Authorization: Bearer <token>`), and lets only the configured origins'
 * browsers call it (CORS with an allow-list; no wildcard, no echoed Origin).
 */
import { timingSafeEqual, createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../runtime';
import { HttpError, sendError } from './http';

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

export interface CodecServerOptions {
  readonly codec: PayloadCodec;
  /** The shared secret callers send as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Origins whose browsers may call the endpoint (the Temporal UI's); empty = no browser may. */
  readonly corsOrigins: readonly string[];
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
}

export interface CodecServer {
  readonly app: FastifyInstance;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

const payloadsSchema = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        properties: {
          metadata: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: 4096 } },
          data: { type: 'string' },
        },
      },
    },
  },
} as const;

export async function createCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  if (opts.token.length < 32) throw new Error('the codec endpoint token must be at least 32 characters');
  const expected = digest(opts.token);
  const log = opts.logger.child({ module: 'codec-endpoint' });
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: opts.maxBodyBytes ?? 8 * 1024 * 1024,
    requestTimeout: 30_000,
  });
  await app.register(cors, {
    origin: [...opts.corsOrigins],
    methods: ['POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
    credentials: true,
    maxAge: 600,
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method === 'OPTIONS') return;
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(auth)?.[1];
    if (!token || !timingSafeEqual(digest(token), expected)) {
      log.warn(
        { requestId: req.id, origin: req.headers.origin, remote: req.ip, path: req.url.slice(0, 200) },
        'codec endpoint refused a caller without the token',
      );
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, new HttpError(401, 'Unauthorized', 'the codec endpoint needs Authorization: Bearer <token>'));
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    const status = err.statusCode;
    if (err.validation || (status !== undefined && status >= 400 && status < 500)) {
      return sendError(reply, new HttpError(status ?? 400, 'Bad Request', err.message));
    }
    req.log.error({ err }, 'codec endpoint failed');
    return sendError(reply, new HttpError(500, 'Internal Server Error', `the codec failed (request id ${String(req.id)})`));
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new HttpError(404, 'Not Found', 'the codec endpoint serves POST /decode and POST /encode')),
  );

  for (const action of ['decode', 'encode'] as const) {
    app.post(`/${action}`, { schema: { body: payloadsSchema } }, async (req) => {
      const body = req.body as { payloads: JsonPayload[] };
      const payloads = body.payloads.map(fromJson);
      let out: Payload[];
      try {
        out = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
      } catch (err) {
        throw new HttpError(400, 'Bad Request', `cannot ${action} these payloads: ${(err as Error).message}`);
      }
      log.info({ requestId: req.id, action, payloads: payloads.length, origin: req.headers.origin }, 'codec request');
      return { payloads: out.map(toJson) };
    });
  }

  return {
    app: app as unknown as FastifyInstance,
    async listen(port, host) {
      await app.listen({ port, host });
      const a = app.server.address() as AddressInfo;
      return `http://${a.address}:${a.port}`;
    },
    close: () => app.close(),
  };
}
