/**
 * A fault-injecting HTTP proxy between AWS SDK clients and an AWS endpoint (moto locally).
 * Per request, with seeded probabilities, it answers with AWS's own throttling and server-error
 * wire formats (so the SDK's real deserialisers and retry logic run), resets the connection, or
 * adds latency; otherwise it forwards the request unchanged. Same seed, same request order,
 * same faults.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProfile {
  /** Probability of a throttling answer (`Throttling` / `RequestLimitExceeded`, HTTP 400). */
  readonly throttle: number;
  /** Probability of HTTP 500 `InternalFailure` / `InternalError`. */
  readonly serverError: number;
  /** Probability of HTTP 503 `ServiceUnavailable` / `Unavailable`. */
  readonly unavailable: number;
  /** Probability of resetting the connection before answering. */
  readonly reset: number;
  /** Probability of adding latency, and how much (uniform in [0, maxLatencyMs]). */
  readonly latency: number;
  readonly maxLatencyMs: number;
  readonly seed: number;
}

export const NO_FAULTS: FaultProfile = { throttle: 0, serverError: 0, unavailable: 0, reset: 0, latency: 0, maxLatencyMs: 0, seed: 1 };

/** Splits a total fault rate the way the chaos runs do: mostly throttling, as AWS does. */
export function profileFor(rate: number, seed: number): FaultProfile {
  return {
    throttle: rate * 0.5,
    serverError: rate * 0.15,
    unavailable: rate * 0.15,
    reset: rate * 0.2,
    latency: 0.2,
    maxLatencyMs: 300,
    seed,
  };
}

/** mulberry32: small, fast, seedable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The AWS service a SigV4-signed request is for: `ec2`, `autoscaling`, `elasticloadbalancing`, … */
export function serviceOf(authorization: string | undefined): string {
  const m = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return m ? m[1]! : 'unknown';
}

export type FaultKind = 'throttle' | 'serverError' | 'unavailable' | 'reset' | 'latency';

/**
 * AWS's error answer in the request's own protocol. CloudWatch's client speaks AWS JSON 1.0 (query
 * compatible, so the query error code travels in `x-amzn-query-error`); EC2, Auto Scaling and ELB
 * the query protocol's XML. An XML answer to a JSON client would be a deserialisation error, which
 * no real AWS answer is (and which Bosun rightly treats as not retryable).
 */
export function awsErrorResponse(
  req: http.IncomingMessage,
  kind: 'throttle' | 'serverError' | 'unavailable',
): { status: number; headers: Record<string, string>; body: string } {
  const requestId = 'bosun-fault-0000';
  const message = 'injected by the Bosun fault proxy';
  if (String(req.headers['content-type'] ?? '').includes('application/x-amz-json')) {
    const [status, code, side] =
      kind === 'throttle'
        ? [400, 'Throttling', 'Sender']
        : kind === 'serverError'
          ? [500, 'InternalFailure', 'Receiver']
          : [503, 'ServiceUnavailable', 'Receiver'];
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${code};${side}`, 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  const xml = { 'content-type': 'text/xml' };
  if (serviceOf(req.headers.authorization) === 'ec2') {
    const [status, code] =
      kind === 'throttle' ? [400, 'RequestLimitExceeded'] : kind === 'serverError' ? [500, 'InternalError'] : [503, 'Unavailable'];
    // EC2 lists RequestLimitExceeded among its client (400) errors; the SDK classifies it by code.
    return {
      status,
      headers: xml,
      body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  const [status, type, code] =
    kind === 'throttle'
      ? [400, 'Sender', 'Throttling']
      : kind === 'serverError'
        ? [500, 'Receiver', 'InternalFailure']
        : [503, 'Receiver', 'ServiceUnavailable'];
  return {
    status,
    headers: xml,
    body: `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>Rate exceeded (${message})</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export interface FaultProxy {
  readonly url: string;
  /** Injected faults so far, by kind; `forwarded` counts requests passed through. */
  readonly counts: Record<FaultKind | 'forwarded', number>;
  setProfile(profile: FaultProfile): void;
  close(): Promise<void>;
}

export async function startFaultProxy(opts: { target: string; profile: FaultProfile; port?: number }): Promise<FaultProxy> {
  const target = new URL(opts.target);
  let profile = opts.profile;
  let random = seededRandom(profile.seed);
  const counts: Record<FaultKind | 'forwarded', number> = {
    throttle: 0,
    serverError: 0,
    unavailable: 0,
    reset: 0,
    latency: 0,
    forwarded: 0,
  };

  const server = http.createServer((req, res) => {
    // Draw every number up front, so the fault sequence depends only on the request order.
    const [r1, r2, r3] = [random(), random(), random()];
    const isMotoApi = (req.url ?? '').startsWith('/moto-api');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const go = () => {
        if (!isMotoApi) {
          let edge = 0;
          for (const kind of ['throttle', 'serverError', 'unavailable', 'reset'] as const) {
            edge += profile[kind];
            if (r1 < edge) {
              counts[kind]++;
              if (kind === 'reset') {
                req.socket.destroy();
                return;
              }
              const answer = awsErrorResponse(req, kind);
              res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
              res.end(answer.body);
              return;
            }
          }
        }
        counts.forwarded++;
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => req.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (!isMotoApi && r2 < profile.latency) {
        counts.latency++;
        setTimeout(go, Math.round(r3 * profile.maxLatencyMs));
      } else {
        go();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setProfile(p) {
      profile = p;
      random = seededRandom(p.seed);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
