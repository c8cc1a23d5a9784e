/**
 * An HTTP client for the facade the way Orca talks to Clouddriver: persistent keep-alive
 * connections, JSON bodies, Spinnaker's user and accounts headers. Loopback only.
 */
import http from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  /** From writing the request to the last byte of the answer. */
  readonly ms: number;
}

export const SPINNAKER_HEADERS: Readonly<Record<string, string>> = {
  'x-spinnaker-user': 'bench@example.com',
  'x-spinnaker-accounts': 'test',
};

export class FacadeHttp {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    if (this.base.hostname !== '127.0.0.1') throw new Error(`benchmarks talk to loopback only, not ${this.base.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...SPINNAKER_HEADERS,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} got no answer in 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST /aws/ops; throws unless the facade took the task. */
  async submit(operations: unknown): Promise<{ id: string; ms: number }> {
    const res = await this.request('POST', '/aws/ops', operations);
    if (res.status !== 200) throw new Error(`POST /aws/ops answered ${res.status}: ${res.body.slice(0, 300)}`);
    return { id: (JSON.parse(res.body) as { id: string }).id, ms: res.ms };
  }

  async task(id: string): Promise<{ task: TaskJson; ms: number }> {
    const res = await this.request('GET', `/task/${encodeURIComponent(id)}`);
    if (res.status !== 200) throw new Error(`GET /task/${id} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return { task: JSON.parse(res.body) as TaskJson, ms: res.ms };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The parts of Clouddriver's task JSON the benchmarks read. */
export interface TaskJson {
  readonly id: string;
  readonly status: { readonly completed: boolean; readonly failed: boolean; readonly phase: string; readonly status: string };
  readonly history: readonly { readonly phase: string; readonly status: string }[];
  readonly resultObjects: readonly Record<string, unknown>[];
}
