/**
 * `npx tsx test/support/cli-picture.ts`: draws docs/img/bosun-watch.svg from the real output of
 * `bosun watch` following a deploy (and the text beside it, docs/img/bosun-watch.txt): a fresh
 * dev server and moto, a worker and a facade process, a deploy through the facade, the CLI run
 * as a person runs it; and docs/img/bosun-watch-failed.txt, a failed deploy followed the same way.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ACCOUNT, REGION, testAwsClients, testAwsProvider } from '../harness';
import { emulatorAl2023Image } from './instances';
import { post } from './orca-client';
import { startProcessStack } from './process-stack';
import { startTestServers } from './stack';

const ROOT = path.join(__dirname, '..', '..');

async function main(): Promise<void> {
  const servers = await startTestServers(mkdtempSync(path.join(os.tmpdir(), 'bosun-picture-')));
  const stack = await startProcessStack();
  const aws = testAwsProvider();
  try {
    const { name: amiName } = await emulatorAl2023Image(testAwsClients(aws).ec2);
    const res = await post(`${stack.facadeUrl}/aws/ops`, [
      {
        createServerGroup: {
          credentials: ACCOUNT,
          application: 'myapp',
          stack: 'main',
          availabilityZones: { [REGION]: ['us-east-1a', 'us-east-1b'] },
          capacity: { min: 2, max: 4, desired: 3 },
          amiName,
          instanceType: 't3.micro',
          waitForHealthyPercentage: 100,
        },
      },
    ]);
    const id = (res.body as { id: string }).id;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'client', 'cli', 'bosun.ts'), 'watch', id],
      { env: { ...process.env, ...stack.env, TEMPORAL_UI_URL: 'http://localhost:8233' } },
    );
    const lines = ['$ npm run bosun -- watch ' + id, ...stdout.trimEnd().split('\n')];
    // And how a failed deploy ends (exit code 1).
    const failed = await post(`${stack.facadeUrl}/aws/ops`, [
      {
        createServerGroup: {
          credentials: ACCOUNT,
          application: 'myapp',
          stack: 'broken',
          availabilityZones: { [REGION]: ['us-east-1a'] },
          capacity: { min: 1, max: 1, desired: 1 },
          amiName: 'no-such-image',
          instanceType: 't3.micro',
        },
      },
    ]);
    const failedId = (failed.body as { id: string }).id;
    const failedOut = await promisify(execFile)(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'client', 'cli', 'bosun.ts'), 'watch', failedId],
      { env: { ...process.env, ...stack.env } },
    ).then(
      () => 'exit 0',
      (err: { stdout?: string; code?: number }) => `${err.stdout ?? ''}(exit ${err.code})`,
    );
    writeFileSync(path.join(ROOT, 'docs', 'img', 'bosun-watch-failed.txt'), `$ npm run bosun -- watch ${failedId}\n${failedOut}\n`);
    writeFileSync(path.join(ROOT, 'docs', 'img', 'bosun-watch.txt'), `${lines.join('\n')}\n`);
    writeFileSync(path.join(ROOT, 'docs', 'img', 'bosun-watch.svg'), terminalSvg(lines));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    aws.destroy();
    await stack.stop();
    await servers.stop();
  }
}

/** The lines as a terminal window: monospace, one colour per kind of line. */
function terminalSvg(lines: readonly string[]): string {
  const charW = 7.8;
  const lineH = 18;
  const width = Math.ceil(Math.max(...lines.map((l) => l.length)) * charW + 40);
  const height = lines.length * lineH + 56;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const colour = (l: string) =>
    l.startsWith('$') ? '#8be9fd' : l.startsWith('✓') ? '#50fa7b' : l.startsWith('✗') ? '#ff5555' : l.includes('…') ? '#f1fa8c' : '#f8f8f2';
  const text = lines
    .map((l, i) => `<text x="20" y="${48 + i * lineH}" fill="${colour(l)}" xml:space="preserve">${esc(l)}</text>`)
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="13">
  <rect width="100%" height="100%" rx="8" fill="#282a36"/>
  <circle cx="20" cy="16" r="5" fill="#ff5555"/><circle cx="38" cy="16" r="5" fill="#f1fa8c"/><circle cx="56" cy="16" r="5" fill="#50fa7b"/>
  ${text}
</svg>
`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
