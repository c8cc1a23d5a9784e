/**
 * `npm run stack`: the local stack alone (Temporal dev server with its UI, and moto), for running
 * `npm run worker` and `npm run facade` as separate processes against it, as production does.
 *
 *   npm run stack              start it and wait; Ctrl-C stops it
 *   npm run stack -- status    what the state folder's stack record says is running
 *   npm run stack -- down      stop a stack (or `npm start`) of this state folder, and anything it left behind
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { awsEndpoint, ConfigError, loadConfig, temporalAddress } from '../config';
import type { RunningProcess } from './stack';
import { startLocalServers } from './stack';
import { commandLineOf, StackRecord } from './stack-record';
import { readFileSync } from 'node:fs';

const USAGE = 'Usage: npm run stack [-- up|status|down]';

async function main(): Promise<number> {
  const { positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: true });
  const command = positionals[0] ?? 'up';
  const say = (message: string) => process.stderr.write(`bosun stack: ${message}\n`);
  const config = loadConfig();
  const recordFile = path.join(config.stateDir, 'stack.json');
  if (command === 'status') {
    let text: string;
    try {
      text = readFileSync(recordFile, 'utf8');
    } catch {
      process.stdout.write(`no local stack recorded in ${config.stateDir}\n`);
      return 0;
    }
    const record = JSON.parse(text) as {
      owner: { pid: number; startedAt: string };
      processes: { name: string; pid: number; commandLine: string }[];
    };
    const alive = (pid: number, commandLine?: string) =>
      commandLine === undefined ? commandLineOf(pid) !== undefined : commandLineOf(pid) === commandLine;
    process.stdout.write(
      [
        `stack of ${config.stateDir}: owner pid ${record.owner.pid} (${alive(record.owner.pid) ? 'running' : 'gone'}), started ${record.owner.startedAt}`,
        ...record.processes.map((p) => `  ${p.name}: pid ${p.pid} ${alive(p.pid, p.commandLine) ? 'running' : 'gone'}`),
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (command === 'down') {
    try {
      const stopped = await StackRecord.down(config.stateDir, say);
      say(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing left running');
      return 0;
    } catch (err) {
      say((err as Error).message);
      return 1;
    }
  }
  if (command !== 'up') {
    say(`unknown command '${command}'. ${USAGE}`);
    return 2;
  }

  const owned: RunningProcess[] = [];
  const record = await StackRecord.claim(config.stateDir, say);
  const stop = async () => {
    for (const p of owned.reverse()) await p.stop();
    record.release();
  };
  try {
    await startLocalServers(config, record, (p) => owned.push(p));
  } catch (err) {
    say((err as Error).message);
    await stop();
    return 1;
  }
  process.stdout.write(
    [
      `local stack up (state in ${config.stateDir}):`,
      `  Temporal: ${temporalAddress(config)}${config.temporal.address ? ' (configured, not started here)' : `, UI http://127.0.0.1:${config.temporal.localUiPort}`}`,
      `  AWS:      ${awsEndpoint(config) ?? 'real AWS'}`,
      'In other terminals, with the same environment: npm run worker, npm run facade. Ctrl-C stops the stack.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  await stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bosun stack: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  },
);
