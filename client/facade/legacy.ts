/**
 * The legacy path: requests Bosun does not run go to the configured Clouddriver unchanged.
 * Bodies stream both ways, status and headers are kept (less the hop-by-hop ones a proxy must
 * not forward), so Orca cannot tell the difference.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers: IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

export interface LegacyClouddriver {
  readonly url: string;
  /**
   * Forwards the request. `body` is the already-read body when the facade had to look inside it
   * (an operations POST); otherwise the request streams straight through.
   */
  forward(req: IncomingMessage, res: ServerResponse, body?: Buffer, routeNote?: string): Promise<void>;
  /** GETs a path upstream and parses JSON (for merging `GET /task` lists). */
  getJson(path: string, headers: IncomingHttpHeaders): Promise<unknown>;
}

export function createLegacyClouddriver(baseUrl: string, timeoutMs = 60_000): LegacyClouddriver {
  const base = new URL(baseUrl);
  const agentFor = base.protocol === 'https:' ? https : http;
  const target = (path: string) => new URL(path.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);

  return {
    url: base.href,
    forward(req, res, body, routeNote) {
      return new Promise<void>((resolve, reject) => {
        const url = target(req.url ?? '/');
        const headers = forwardable(req.headers);
        if (body) headers['content-length'] = body.length;
        const upstream = agentFor.request(url, { method: req.method, headers, timeout: timeoutMs }, (answer) => {
          const out = forwardable(answer.headers);
          if (routeNote) out['x-bosun-route'] = routeNote;
          res.writeHead(answer.statusCode ?? 502, out);
          answer.pipe(res);
          answer.on('end', () => resolve());
          answer.on('error', reject);
        });
        upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        upstream.on('error', (err) => {
          if (res.headersSent) {
            res.destroy(err);
            resolve();
            return;
          }
          reject(new HttpError(502, 'Bad Gateway', `the legacy Clouddriver at ${base.origin} did not answer: ${err.message}`));
        });
        if (body) upstream.end(body);
        else req.pipe(upstream);
      });
    },
    getJson(path, headers) {
      return new Promise((resolve, reject) => {
        const h = forwardable(headers);
        delete h['content-length'];
        const request = agentFor.request(target(path), { method: 'GET', headers: h, timeout: timeoutMs }, (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => {
            try {
              resolve(answer.statusCode === 200 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined);
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          });
          answer.on('error', reject);
        });
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', reject);
        request.end();
      });
    },
  };
}
