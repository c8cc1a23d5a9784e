/**
 * Temporal's remote codec protocol (`POST /decode` and `/encode`), so the Temporal UI can show
 * payloads the SecretsCodec encrypted. Whoever can call it reads user data, so it runs on a
 * listener of its own (never the Orca-facing one), off unless configured, answers only callers
 * with the token (`Authorization: Bearer <token>`), and lets only the configured origins'
 * browsers call it (CORS with an allow-list; no wildcard, no echoed Origin).
 */
import { timingSafeEqual, createHash, randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../../runtime';
import { badRequest, HttpError, internalServerError, notFound, sendError, unauthorized } from './errors';

interface JsonPayload {
  metadata?: Record<string, string> | undefined;
  data?: string | undefined;
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
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** What the Temporal UI posts: at most 1,000 payloads, each with a few short metadata entries. */
const payloadsBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z
          .record(z.string(), z.string().max(4096))
          .refine((m) => Object.keys(m).length <= 32, { error: 'must NOT have more than 32 properties' })
          .optional(),
        data: z.string().optional(),
      }),
    )
    .max(1000),
});

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
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
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
      return sendError(reply, unauthorized('the codec endpoint needs Authorization: Bearer <token>'));
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    const status = err.statusCode;
    if (err.validation || (status !== undefined && status >= 400 && status < 500)) {
      return sendError(reply, new HttpError(status ?? 400, err.message));
    }
    req.log.error({ err }, 'codec endpoint failed');
    return sendError(reply, internalServerError(`the codec failed (request id ${String(req.id)})`));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, notFound('the codec endpoint serves POST /decode and POST /encode')));

  for (const action of ['decode', 'encode'] as const) {
    app.post(`/${action}`, { schema: { body: payloadsBody } }, async (req) => {
      const payloads = req.body.payloads.map(fromJson);
      let out: Payload[];
      try {
        out = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
      } catch (err) {
        throw badRequest(`cannot ${action} these payloads: ${err instanceof Error ? err.message : String(err)}`);
      }
      log.info({ requestId: req.id, action, payloads: payloads.length, origin: req.headers.origin }, 'codec request');
      return { payloads: out.map(toJson) };
    });
  }

  return {
    async listen(port, host) {
      await app.listen({ port, host });
      const a = app.server.address();
      return typeof a === 'object' && a ? `http://${a.address}:${a.port}` : String(a);
    },
    close: () => app.close(),
  };
}
