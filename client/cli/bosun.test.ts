import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { loadConfig } from '../../config';
import { silentLogger } from '../../runtime';
import { buildFacade } from '../facade/build';
import type { AuditEntry } from '../routing';
import { validateFlagText } from '../routing';

const run = promisify(execFile);
const CLI = path.join(__dirname, 'bosun.ts');
// tsx's CommonJS hook, resolved from the repository so the CLI can run with any working directory.
const TSX = require.resolve('tsx/cjs');

let dir: string;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns the CLI the way a person runs it, in the temp dir (so the default flag file lands there). */
async function bosun(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, USER: 'tester', ...env };
  if (!('BOSUN_FLAG_FILE' in env)) delete childEnv.BOSUN_FLAG_FILE;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--require', TSX, CLI, ...args], { cwd: dir, env: childEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const flagFile = () => path.join(dir, '.state', 'flags', 'routing.json');
const auditLines = (): AuditEntry[] =>
  readFileSync(path.join(path.dirname(flagFile()), 'routing-audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-cli-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bosun CLI', () => {
  test('onboard, routing, offboard, kill-switch: each change audited with its reason', async () => {
    const onboarded = await bosun(['onboard', 'myapp', '--reason', 'CHG-1: first app']);
    expect(onboarded).toMatchObject({ code: 0, stderr: '' });
    expect(onboarded.stdout).toContain('onboarded myapp: it now goes to Temporal (1 application onboarded)');
    expect(validateFlagText(readFileSync(flagFile(), 'utf8'))).toMatchObject({ ok: true });

    const routed = await bosun(['routing', 'myapp', '--account', 'prod', '--operation', 'resizeServerGroup']);
    expect(routed.code).toBe(0);
    expect(routed.stdout).toContain('myapp → temporal (rule: allowlisted)');
    expect(routed.stdout).toContain('application myapp is in the allowlist of 1 application');

    const offboarded = await bosun(['offboard', 'myapp', '--reason', 'CHG-2: errors in deploy', '--by', 'alice']);
    expect(offboarded.stdout).toContain('offboarded myapp: it now goes to legacy');
    expect((await bosun(['routing', 'myapp'])).stdout).toContain('myapp → legacy (rule: legacy-application-excluded)');

    expect((await bosun(['kill-switch', 'on', '--reason', 'incident 42'])).stdout).toContain(
      'kill switch is ON: every application goes to legacy',
    );
    const [killed, status] = await Promise.all([bosun(['routing', 'myapp', '--json']), bosun(['status'])]);
    expect(JSON.parse(killed.stdout)).toMatchObject({ decision: { route: 'legacy', rule: 'kill-switch', flagState: 'READY' } });

    const audit = auditLines();
    expect(audit.map((a) => [a.action, a.reason, a.who])).toEqual([
      ['onboard', 'CHG-1: first app', 'tester'],
      ['offboard', 'CHG-2: errors in deploy', 'alice'],
      ['kill-switch', 'incident 42', 'tester'],
    ]);
    expect(audit[0]).toMatchObject({
      args: { app: 'myapp' },
      before: { applications: [] },
      after: { applications: ['myapp'] },
      version: '2',
    });
    expect(audit[2]).toMatchObject({ before: { killSwitch: false }, after: { killSwitch: true } });
    expect(Date.parse(audit[0]!.time)).not.toBeNaN();

    expect(status.stdout).toContain('kill switch: ON');
    expect(status.stdout).toContain('offboarded (held on legacy): 1 application: myapp');
  });

  test('usage errors exit 2 (a change without --reason writes nothing), --help exits 0, a refused edit exits 1 naming the problem', async () => {
    const [noReason, help, unknown, missingArg, badPercent, badOption] = await Promise.all([
      bosun(['onboard', 'myapp']),
      bosun(['--help']),
      bosun(['frobnicate']),
      bosun(['onboard', '--reason', 'x']),
      bosun(['rollout', '120', '--reason', 'x']),
      bosun(['status', '--colour']),
    ]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain(`'onboard' changes routing and needs --reason "why" (it is recorded in routing-audit.log)`);
    expect(existsSync(flagFile())).toBe(false);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('Usage: bosun <command>');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(missingArg.code).toBe(2);
    expect(missingArg.stderr).toContain("'onboard' takes <app>, got none");
    expect(badPercent.code).toBe(2);
    expect(badPercent.stderr).toContain("rollout takes a whole percentage from 0 to 100, got '120'");
    expect(badOption.code).toBe(2);

    const file = path.join(dir, 'hand-edited.json');
    writeFileSync(file, readFileSync(path.join(__dirname, '../../infra/flags/routing.example.json'), 'utf8').replace('"in"', '"inn"'));
    const refused = await bosun(['onboard', 'other', '--reason', 'x'], { BOSUN_FLAG_FILE: file });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file} is not a valid flag file (1 problem)`);
    expect(refused.stderr).toContain("flags.temporal-routing.targeting.if[0]: unknown operator 'inn' (did you mean 'in'?)");
  });

  test('--flags picks the file; rollout and account exclusion show in routing and status', async () => {
    const file = path.join(dir, 'elsewhere', 'flags.json');
    expect((await bosun(['rollout', '100', '--reason', 'all in', '--flags', file])).code).toBe(0);
    expect((await bosun(['exclude-account', 'prod-legacy', '--reason', 'not yet', '--flags', file])).code).toBe(0);
    const [excluded, rolled, status] = await Promise.all([
      bosun(['routing', 'anyapp', '--account', 'prod-legacy', '--operation', 'deploy', '--flags', file]),
      bosun(['routing', 'anyapp', '--account', 'test', '--operation', 'deploy', '--flags', file]),
      bosun(['status', '--json', '--flags', file]),
    ]);
    expect(excluded.stdout).toContain('anyapp → legacy (rule: legacy-account-excluded)');
    expect(rolled.stdout).toContain('anyapp → temporal (rule: rollout-on)');
    expect(JSON.parse(status.stdout)).toMatchObject({
      exists: true,
      summary: { rolloutPercent: 100, excludedAccounts: ['prod-legacy'], version: '3' },
    });
    expect(existsSync(path.join(dir, 'elsewhere', 'routing-audit.log'))).toBe(true);
  });
});

describe('the CLI and the facade find the same flag file', () => {
  const decideFor = async (env: Record<string, string>, cwd: string, application: string) => {
    // The facade's own construction (buildFacade) from the same environment; its Temporal client
    // is lazy and never connects here, since routing needs no Temporal.
    const config = loadConfig(env, cwd);
    const service = await buildFacade({ config, client: new Client(), logger: silentLogger });
    try {
      return {
        file: config.routing.flagFile,
        decision: await service.router.decide({ application, account: 'test', operation: 'resizeServerGroup', cloudProvider: 'aws' }),
      };
    } finally {
      await service.close();
    }
  };

  test('BOSUN_STATE_DIR: the CLI onboards in the state folder the facade reads', async () => {
    const env = { BOSUN_STATE_DIR: path.join(dir, 'elsewhere') };
    expect(await bosun(['onboard', 'payments', '--reason', 'pilot'], env)).toMatchObject({ code: 0 });
    expect(existsSync(path.join(dir, 'elsewhere', 'flags', 'routing.json'))).toBe(true);
    expect(existsSync(flagFile())).toBe(false); // not ./.state under the working directory
    const { file, decision } = await decideFor(env, dir, 'payments');
    expect(file).toBe(path.join(dir, 'elsewhere', 'flags', 'routing.json'));
    expect(decision).toMatchObject({ route: 'temporal', rule: 'allowlisted' });
  });

  test('BOSUN_FLAG_FILE (relative) wins over BOSUN_STATE_DIR in both', async () => {
    const env = { BOSUN_STATE_DIR: path.join(dir, 'state'), BOSUN_FLAG_FILE: 'team/routing.json' };
    expect(await bosun(['onboard', 'search', '--reason', 'pilot'], env)).toMatchObject({ code: 0 });
    const { file, decision } = await decideFor(env, dir, 'search');
    expect(file).toBe(path.join(dir, 'team', 'routing.json'));
    expect(existsSync(file)).toBe(true);
    expect(decision).toMatchObject({ route: 'temporal', rule: 'allowlisted' });
  });
});
