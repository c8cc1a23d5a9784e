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
function serviceOf(authorization: string | undefined): string {
  const m = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return m ? m[1]! : 'unknown';
}

export type FaultKind = 'throttle' | 'serverError' | 'unavailable' | 'reset' | 'latency';

/** Per injected answer: its HTTP status, whose fault it is, its code, EC2's own code for it, and what AWS says. */
const AWS_ERRORS = {
  throttle: { status: 400, side: 'Sender', code: 'Throttling', ec2Code: 'RequestLimitExceeded', says: 'Rate exceeded' },
  serverError: { status: 500, side: 'Receiver', code: 'InternalFailure', ec2Code: 'InternalError', says: 'Internal failure' },
  unavailable: { status: 503, side: 'Receiver', code: 'ServiceUnavailable', ec2Code: 'Unavailable', says: 'Service unavailable' },
} as const;

/**
 * Answers with AWS's error of `kind` in the request's own protocol. CloudWatch's client speaks AWS
 * JSON 1.0 (query compatible, so the query error code travels in `x-amzn-query-error`); EC2, Auto
 * Scaling and ELB the query protocol's XML. An XML answer to a JSON client would be a
 * deserialisation error, which no real AWS answer is (and which Bosun rightly treats as not retryable).
 */
export function sendAwsError(req: http.IncomingMessage, res: http.ServerResponse, kind: keyof typeof AWS_ERRORS): void {
  const requestId = 'bosun-fault-0000';
  const message = 'injected by the Bosun fault proxy';
  const { status, side, code, ec2Code, says } = AWS_ERRORS[kind];
  const send = (headers: Record<string, string>, body: string) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (String(req.headers['content-type'] ?? '').includes('application/x-amz-json')) {
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${code};${side}`,
      'x-amzn-requestid': requestId,
    };
    send(headers, JSON.stringify({ __type: code, message }));
  } else if (serviceOf(req.headers.authorization) === 'ec2') {
    // EC2 lists RequestLimitExceeded among its client (400) errors; the SDK classifies it by code.
    send(
      { 'content-type': 'text/xml' },
      `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${ec2Code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    );
  } else {
    send(
      { 'content-type': 'text/xml' },
      `<ErrorResponse><Error><Type>${side}</Type><Code>${code}</Code><Message>${says} (${message})</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  }
}

/**
 * A loopback HTTP server (the proxies in front of moto, the tracing bench's OTLP receiver): `handle`
 * sees each request as it arrives (so seeded draws follow the request order) and returns what to
 * do with its whole body.
 */
export async function startLoopbackServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => (body: Buffer) => void,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const withBody = handle(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => withBody(Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Sends the request on to `target` unchanged; `answer` gets the response, a failed request resets the client's connection. */
export function forward(target: URL, req: http.IncomingMessage, body: Buffer, answer: (res: http.IncomingMessage) => void): void {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    answer,
  );
  upstream.on('error', () => req.socket.destroy());
  upstream.end(body);
}

export interface FaultProxy {
  readonly url: string;
  /** Injected faults so far, by kind; `forwarded` counts requests passed through. */
  readonly counts: Record<FaultKind | 'forwarded', number>;
  setProfile(profile: FaultProfile): void;
  close(): Promise<void>;
}

export async function startFaultProxy(opts: { target: string; profile: FaultProfile }): Promise<FaultProxy> {
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
  const server = await startLoopbackServer((req, res) => {
    // Draw every number up front, so the fault sequence depends only on the request order.
    const [r1, r2, r3] = [random(), random(), random()];
    const isMotoApi = (req.url ?? '').startsWith('/moto-api');
    return (body) => {
      const go = () => {
        if (!isMotoApi) {
          let edge = 0;
          for (const kind of ['throttle', 'serverError', 'unavailable', 'reset'] as const) {
            edge += profile[kind];
            if (r1 < edge) {
              counts[kind]++;
              if (kind === 'reset') req.socket.destroy();
              else sendAwsError(req, res, kind);
              return;
            }
          }
        }
        counts.forwarded++;
        forward(target, req, body, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
      };
      if (!isMotoApi && r2 < profile.latency) {
        counts.latency++;
        setTimeout(go, Math.round(r3 * profile.maxLatencyMs));
      } else {
        go();
      }
    };
  });
  return {
    ...server,
    counts,
    setProfile(p) {
      profile = p;
      random = seededRandom(p.seed);
    },
  };
}
