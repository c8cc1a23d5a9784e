/**
 * A pass-through between the fault proxy and moto that writes down every resource creation AWS
 * really performed (so a group or launch template made twice for one deploy is seen even when
 * a later destroy removed it), and, with a seeded probability, loses the answer after AWS has
 * acted: the socket is closed instead of relaying the response. That is the fault the fault
 * proxy does not make (it resets only before forwarding), and the one that turns a retry without
 * idempotency into a duplicate.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../fault-proxy';

export interface Creation {
  readonly action: 'CreateAutoScalingGroup' | 'CreateLaunchTemplate' | 'RunInstances';
  readonly name: string;
  readonly atMs: number;
}

export interface AwsRecorder {
  readonly url: string;
  readonly creations: readonly Creation[];
  /** Answers dropped after AWS acted, by action. */
  readonly lostAnswers: Readonly<Record<string, number>>;
  readonly forwarded: number;
  close(): Promise<void>;
}

const RECORDED = new Set(['CreateAutoScalingGroup', 'CreateLaunchTemplate', 'RunInstances']);

export async function startAwsRecorder(opts: { target: string; lostAnswerRate: number; seed: number }): Promise<AwsRecorder> {
  const target = new URL(opts.target);
  const random = seededRandom(opts.seed ^ 0x1057);
  const creations: Creation[] = [];
  const lostAnswers: Record<string, number> = {};
  let forwarded = 0;

  const server = http.createServer((req, res) => {
    const draw = random();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isMotoApi = (req.url ?? '').startsWith('/moto-api');
      const form = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : '');
      const action = form.get('Action') ?? '';
      forwarded++;
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const status = answer.statusCode ?? 502;
          if (status === 200 && RECORDED.has(action)) {
            const name =
              form.get('AutoScalingGroupName') ?? form.get('LaunchTemplateName') ?? form.get('TagSpecification.1.Tag.1.Value') ?? '';
            creations.push({ action: action as Creation['action'], name, atMs: Date.now() });
          }
          // Only calls that change something: losing a describe's answer is just a reset.
          if (
            !isMotoApi &&
            status === 200 &&
            draw < opts.lostAnswerRate &&
            /^(Create|Delete|Update|Set|Suspend|Resume|Register|Deregister|Terminate|Modify|Put|Run)/.test(action)
          ) {
            lostAnswers[action] = (lostAnswers[action] ?? 0) + 1;
            answer.resume();
            answer.once('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(status, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    creations,
    lostAnswers,
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
