/** The `bosun` CLI as a person runs it: its own process, with this one's environment and more. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', '..', 'client', 'cli', 'bosun.ts');
const TSX = require.resolve('tsx/cjs');

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bosun <args>` with `env` on top of this process's environment; its exit code (-1 if it had none) and output. */
export async function runCliProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--require', TSX, CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
