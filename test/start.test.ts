/**
 * `npm start` as a process: it serves the request it prints, a killed start leaves servers that
 * the next start finds and stops (saying so), SIGTERM stops everything, and when its Temporal
 * server dies under it, it stops the rest and exits non-zero. Real processes on free loopback
 * ports and a private state folder, so a developer's own `npm start` is never touched.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../infra/stack';
import { PROJECT_ROOT } from '../infra/tools';
import { commandLineOf } from '../infra/stack-record';

jest.setTimeout(180_000);

interface Start {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

let stateDir: string;
let env: NodeJS.ProcessEnv;
let facadeUrl: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-start-'));
  const [temporal, ui, moto, facade] = [await freePort(), await freePort(), await freePort(), await freePort()];
  facadeUrl = `http://127.0.0.1:${facade}`;
  env = {
    ...process.env,
    BOSUN_STATE_DIR: stateDir,
    BOSUN_TEMPORAL_PORT: String(temporal),
    BOSUN_TEMPORAL_UI_PORT: String(ui),
    BOSUN_MOTO_PORT: String(moto),
    BOSUN_FACADE_PORT: String(facade),
    // The run's prebuilt bundle: bundling again would only add seconds.
    BOSUN_WORKFLOW_BUNDLE: process.env.BOSUN_TEST_WORKFLOW_BUNDLE,
    BOSUN_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // Whatever a failed assertion left is in the record: stop exactly that.
  const { StackRecord } = await import('../infra/stack-record');
  await StackRecord.down(stateDir, () => undefined).catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
});

/** `npm start`'s program in one process (no npm or tsx wrapper), so SIGKILL hits exactly it. */
function start(): Start {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra', 'start.ts')], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const s: Start = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout.on('data', (d: Buffer) => (s.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (s.stderr += d.toString()));
  return s;
}

async function ready(s: Start): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!s.stdout.includes('Bosun is ready')) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited with ${s.child.exitCode}:\n${s.stderr}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready after 120 s:\n${s.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function recordedServers(): { name: string; pid: number }[] {
  return (JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8')) as { processes: { name: string; pid: number }[] }).processes;
}

const running = (pid: number) => commandLineOf(pid) !== undefined;

/** Sends the demo request `npm start` printed and polls its task until it completes. */
async function runPrintedRequest(s: Start): Promise<unknown> {
  const body = /-d '(.*)'$/m.exec(s.stdout)?.[1];
  const account = /X-SPINNAKER-ACCOUNTS: ([^']+)'/.exec(s.stdout)?.[1];
  expect(body).toBeDefined();
  const res = await fetch(`${facadeUrl}/aws/ops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'newcomer@example.com', 'x-spinnaker-accounts': account! },
    body: body!,
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  for (let i = 0; i < 200; i++) {
    const task = (await (await fetch(`${facadeUrl}/task/${id}`)).json()) as { status: { completed: boolean } };
    if (task.status.completed) return task;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`task ${id} did not complete`);
}

test('a killed npm start leaves servers the next one stops, saying so; SIGTERM then leaves nothing', async () => {
  const first = start();
  await ready(first);
  const orphans = recordedServers();
  expect(orphans.map((p) => p.name).sort()).toEqual(['moto', 'temporal']);

  first.child.kill('SIGKILL');
  await first.exited;
  // Killed outright, it could not stop them: they still hold their ports.
  expect(orphans.every((p) => running(p.pid))).toBe(true);

  const second = start();
  await ready(second);
  for (const p of orphans) {
    expect(second.stderr).toContain(`${p.name} (pid ${p.pid})`);
    expect(running(p.pid)).toBe(false);
  }
  expect(second.stderr).toMatch(/left running by an earlier Bosun stack \(pid \d+, started .*\) that did not shut down; stopping them/);

  const task = await runPrintedRequest(second);
  expect(task).toMatchObject({ status: { completed: true, failed: false } });

  const servers = recordedServers();
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(servers.filter((p) => running(p.pid))).toEqual([]);
  expect(existsSync(path.join(stateDir, 'stack.json'))).toBe(false);
});

test('when its Temporal server dies, npm start stops the rest and exits non-zero', async () => {
  const s = start();
  await ready(s);
  const servers = recordedServers();
  const temporal = servers.find((p) => p.name === 'temporal')!;
  process.kill(temporal.pid, 'SIGKILL');
  const code = await Promise.race([s.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000))]);
  expect(code).toBe(1);
  expect(servers.filter((p) => running(p.pid))).toEqual([]);
  expect(existsSync(path.join(stateDir, 'stack.json'))).toBe(false);
});
