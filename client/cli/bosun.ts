/**
 * `bosun`: the platform team's command line for the onboarding flag. Changes go through the same
 * document functions and validation as everything else, are written atomically and audited;
 * `bosun routing` answers with the same router code the facade uses, on the same file.
 *
 *   npx tsx client/cli/bosun.ts --help
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Bosun, Logger } from '../../runtime';
import { bootstrap } from '../../runtime';
import type { FlagDocument, RoutingSummary } from '../routing';
import { durationMs, formatTasks, listTasks, temporalUiLink, watchTask } from './watch';
import {
  AUDIT_LOG_NAME,
  changeFlagFile,
  createRouter,
  describe,
  excludeAccount,
  excludeOperation,
  FlagEditError,
  FlagFileError,
  includeAccount,
  includeOperation,
  offboard,
  onboard,
  plural,
  readFlagFile,
  setKillSwitch,
  setRollout,
  summaryLine,
} from '../routing';

/** The CLI's exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where the flag file is when neither --flags, BOSUN_FLAG_FILE nor BOSUN_STATE_DIR says otherwise. */
export const DEFAULT_FLAG_FILE = path.join('.state', 'flags', 'routing.json');

export const USAGE = `Usage: bosun <command> [arguments] [options]

Route applications between Temporal and the legacy Clouddriver by editing the flag file.

Changes (each needs --reason, and appends one line to ${AUDIT_LOG_NAME} next to the flag file):
  onboard <app>                  route <app> to Temporal
  offboard <app>                 send <app> back to legacy at once (also keeps it out of any rollout)
  kill-switch on|off             on: every application goes to legacy at once
  exclude-account <account>      requests on <account> always go to legacy
  include-account <account>      undo exclude-account
  exclude-operation <operation>  <operation> (e.g. destroyServerGroup) always goes to legacy
  include-operation <operation>  undo exclude-operation
  rollout <percent>              route <percent>% of the other applications to Temporal (0 stops it)

Tasks (from Temporal: TEMPORAL_ADDRESS, else the local stack):
  watch <task>                   follow a task: its steps as they happen, the numbers behind each wait, its
                                 link in the Temporal UI ($TEMPORAL_UI_URL), the failure explained at the end
                                 (exit 0 when it succeeds, 1 when it fails)
  tasks [--app A] [--failed] [--since 1h] [--limit N]
                                 list tasks, newest first
A deployWithStrategy (through the facade, as the user --by, on the accounts of --accounts):
  deploy --file body.json        start it (the file: its description, {"deployWithStrategy": …} or Orca's
                                 list of one such), then watch it to the end (exit 0 when it succeeds, 1 when not)
  approve <task>                 approve the approval gate it waits at
  rollback <task>                roll it back (only before its commit point)
  skip-wait <task>               end the delay or sleep it waits in

Questions:
  routing <app> [--account A] [--operation O] [--region R] [--user U] [--cloud-provider P]
                                 where a request for <app> goes, and the rule that decided it
  status                         what the flag file says
  validate                       check the flag file strictly (exit 1 when it is invalid)

Options:
  --flags PATH     the flag file (default: the facade's: $BOSUN_FLAG_FILE, else flags/routing.json in
                   $BOSUN_STATE_DIR, else ${DEFAULT_FLAG_FILE} under the current directory)
  --reason TEXT    why you make this change (required for changes; recorded in the audit log)
  --by NAME        who makes it (default: $USER)
  --file PATH      the deployWithStrategy body for deploy
  --facade URL     the facade for deploy, approve, rollback, skip-wait (default: $BOSUN_FACADE_URL, else the
                   configured facade's host and port)
  --accounts LIST  the X-SPINNAKER-ACCOUNTS those send (default: $BOSUN_ACCOUNTS)
  --json           print JSON instead of text
  -h, --help       this text

Exit codes: 0 ok, 2 usage error, 1 any other failure.`;

export interface CliIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The terminal `watch` draws its progress bar on; absent = none. */
  readonly tty?: NodeJS.WriteStream | undefined;
}

class UsageError extends Error {}

const OPTIONS = {
  flags: { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
  account: { type: 'string' },
  operation: { type: 'string' },
  region: { type: 'string' },
  user: { type: 'string' },
  'cloud-provider': { type: 'string' },
  facade: { type: 'string' },
  file: { type: 'string' },
  accounts: { type: 'string' },
  json: { type: 'boolean' },
  app: { type: 'string' },
  failed: { type: 'boolean' },
  since: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

interface Command {
  readonly args: readonly string[];
  readonly describeChange?: (args: readonly string[]) => { edit: (doc: FlagDocument) => FlagDocument; done: (s: RoutingSummary) => string };
}

/** Changes: each maps its arguments to a document edit and a sentence about the result. */
const CHANGES: Readonly<Record<string, Required<Command>>> = {
  onboard: {
    args: ['app'],
    describeChange: ([app]) => ({
      edit: (doc) => onboard(doc, app!),
      done: (s) => `onboarded ${app}: it now goes to Temporal (${plural(s.applications.length, 'application')} onboarded)`,
    }),
  },
  offboard: {
    args: ['app'],
    describeChange: ([app]) => ({
      edit: (doc) => offboard(doc, app!),
      done: (s) =>
        `offboarded ${app}: it now goes to legacy (${plural(s.applications.length, 'application')} still onboarded, ${plural(s.excludedApplications.length, 'application')} held on legacy)`,
    }),
  },
  'kill-switch': {
    args: ['on|off'],
    describeChange: ([state]) => {
      if (state !== 'on' && state !== 'off') throw new UsageError(`kill-switch takes 'on' or 'off', got '${state}'`);
      return {
        edit: (doc) => setKillSwitch(doc, state === 'on'),
        done: (s) =>
          state === 'on'
            ? 'kill switch is ON: every application goes to legacy'
            : `kill switch is off: routing follows the rules again (${plural(s.applications.length, 'application')} onboarded, rollout ${s.rolloutPercent}%)`,
      };
    },
  },
  'exclude-account': {
    args: ['account'],
    describeChange: ([account]) => ({
      edit: (doc) => excludeAccount(doc, account!),
      done: (s) => `account ${account} is excluded: its requests go to legacy (${plural(s.excludedAccounts.length, 'account')} excluded)`,
    }),
  },
  'include-account': {
    args: ['account'],
    describeChange: ([account]) => ({
      edit: (doc) => includeAccount(doc, account!),
      done: (s) => `account ${account} is no longer excluded (${plural(s.excludedAccounts.length, 'account')} excluded)`,
    }),
  },
  'exclude-operation': {
    args: ['operation'],
    describeChange: ([operation]) => ({
      edit: (doc) => excludeOperation(doc, operation!),
      done: (s) => `operation ${operation} is excluded: it goes to legacy (${plural(s.excludedOperations.length, 'operation')} excluded)`,
    }),
  },
  'include-operation': {
    args: ['operation'],
    describeChange: ([operation]) => ({
      edit: (doc) => includeOperation(doc, operation!),
      done: (s) => `operation ${operation} is no longer excluded (${plural(s.excludedOperations.length, 'operation')} excluded)`,
    }),
  },
  rollout: {
    args: ['percent'],
    describeChange: ([text]) => {
      const percent = /^\d+$/.test(text!) ? Number(text) : NaN;
      if (!Number.isInteger(percent) || percent > 100)
        throw new UsageError(`rollout takes a whole percentage from 0 to 100, got '${text}'`);
      return {
        edit: (doc) => setRollout(doc, percent),
        done: () =>
          percent === 0
            ? 'rollout stopped: only onboarded applications go to Temporal'
            : `rollout set: ${percent}% of the other applications go to Temporal`,
      };
    },
  },
};

/** Commands that send a deploy's Update through the facade, by the path segment they post to. */
const TASK_ACTIONS: Readonly<Record<string, string>> = { approve: 'approve', rollback: 'rollback', 'skip-wait': 'skipWait' };

const QUESTIONS: Readonly<Record<string, Command>> = {
  deploy: { args: [] },
  watch: { args: ['task'] },
  tasks: { args: [] },
  approve: { args: ['task'] },
  rollback: { args: ['task'] },
  'skip-wait': { args: ['task'] },
  routing: { args: ['app'] },
  status: { args: [] },
  validate: { args: [] },
};

/** Runs one command; returns the exit code instead of exiting, so it can be driven in-process. */
export async function runBosunCli(io: CliIo): Promise<ExitCode> {
  let options: Options;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...io.argv], options: OPTIONS, allowPositionals: true, strict: true });
    options = parsed.values;
    positionals = parsed.positionals;
  } catch (err) {
    io.err(`bosun: ${(err as Error).message}\nRun 'bosun --help' for usage.`);
    return EXIT.usage;
  }
  if (options.help || positionals.length === 0) {
    (options.help ? io.out : io.err)(USAGE);
    return options.help ? EXIT.ok : EXIT.usage;
  }
  const [name, ...args] = positionals as [string, ...string[]];
  let bosun: Bosun;
  try {
    // The same composition root as the facade: the same environment finds the same flag file.
    bosun = bootstrap({ component: 'cli', env: io.env, cwd: io.cwd, logSink: io.err, logLevel: 'warn' });
  } catch (err) {
    io.err(`bosun: ${(err as Error).message}`);
    return EXIT.failure;
  }
  const file = options.flags ? path.resolve(io.cwd, options.flags) : bosun.config.routing.flagFile;
  try {
    const command = CHANGES[name] ?? QUESTIONS[name];
    if (!command) throw new UsageError(`unknown command '${name}'`);
    if (args.length !== command.args.length) {
      const expected = command.args.map((a) => `<${a}>`).join(' ');
      throw new UsageError(
        `'${name}' takes ${command.args.length === 0 ? 'no arguments' : expected}, got ${args.length === 0 ? 'none' : args.map((a) => `'${a}'`).join(' ')}`,
      );
    }
    if (name === 'watch') return await watch({ io, bosun, id: args[0]! });
    if (name === 'tasks') return await tasks({ io, bosun, options });
    const facade = options.facade ?? io.env.BOSUN_FACADE_URL ?? `http://${bosun.config.facade.host}:${bosun.config.facade.port}`;
    if (name === 'deploy') {
      if (!options.file) throw new UsageError(`'deploy' needs --file <body.json>, the deployWithStrategy description`);
      const id = await startDeploy({ io, facade, file: path.resolve(io.cwd, options.file), options });
      if (id === undefined) return EXIT.failure;
      return await watch({ io, bosun, id });
    }
    const action = TASK_ACTIONS[name];
    if (action) return await taskAction({ io, facade, task: args[0]!, action, options });
    if (name === 'routing') return await routing({ io, file, app: args[0]!, options, logger: bosun.logger });
    if (name === 'status') return await status({ io, file, options });
    if (name === 'validate') return await validate({ io, file, options });
    return await change({ io, file, name, args, options, command: CHANGES[name]! });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`bosun: ${err.message}\nRun 'bosun --help' for usage.`);
      return EXIT.usage;
    }
    if (err instanceof FlagEditError || err instanceof FlagFileError) {
      io.err(`bosun ${name}: ${err.message}`);
      return EXIT.failure;
    }
    io.err(`bosun ${name}: ${(err as Error).message}`);
    return EXIT.failure;
  } finally {
    await bosun.close();
  }
}

async function watch({ io, bosun, id }: { io: CliIo; bosun: Bosun; id: string }): Promise<ExitCode> {
  const client = await bosun.client();
  const runId = await client.workflow
    .getHandle(id)
    .describe()
    .then((d) => d.runId)
    .catch(() => undefined);
  const link = runId ? temporalUiLink(bosun.config, io.env, id, runId) : undefined;
  const ok = await watchTask(client, id, { io: { out: io.out, tty: io.tty }, link });
  if (ok === undefined) {
    io.err(`bosun watch: no Bosun task ${id} in namespace ${bosun.config.temporal.namespace}`);
    return EXIT.failure;
  }
  return ok ? EXIT.ok : EXIT.failure;
}

async function tasks({ io, bosun, options }: { io: CliIo; bosun: Bosun; options: Options }): Promise<ExitCode> {
  const sinceMs = options.since === undefined ? undefined : durationMs(options.since);
  if (options.since !== undefined && sinceMs === undefined)
    throw new UsageError(`--since takes a duration like 45s, 30m, 1h or 2d, got '${options.since}'`);
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a whole number above 0, got '${options.limit}'`);
  const listed = await listTasks(await bosun.client(), {
    application: options.app,
    failed: options.failed,
    since: sinceMs === undefined ? undefined : new Date(Date.now() - sinceMs),
    taskQueue: bosun.config.temporal.taskQueue,
    limit,
  });
  io.out(options.json ? JSON.stringify(listed, null, 2) : formatTasks(listed));
  return EXIT.ok;
}

/** The Orca body for a deployWithStrategy file: its description, `{"deployWithStrategy": …}`, or a list of one such. */
export function deployBody(parsed: unknown): { body: unknown[]; application: string | undefined } {
  const one = Array.isArray(parsed) ? (parsed.length === 1 ? (parsed[0] as unknown) : undefined) : parsed;
  if (one === null || typeof one !== 'object' || Array.isArray(one))
    throw new UsageError('the deploy file holds a deployWithStrategy description, {"deployWithStrategy": {…}} or a list of one such');
  const record = one as Record<string, unknown>;
  const keys = Object.keys(record);
  let description: Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'deployWithStrategy') {
    const inner = record.deployWithStrategy;
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner))
      throw new UsageError('deployWithStrategy in the deploy file must be an object');
    description = inner as Record<string, unknown>;
  } else if (keys.length === 1 && typeof record[keys[0]!] === 'object' && keys[0] !== 'capacity') {
    throw new UsageError(`the deploy file names the operation '${keys[0]}'; 'bosun deploy' starts deployWithStrategy only`);
  } else {
    description = record;
  }
  const application = typeof description.application === 'string' ? description.application : undefined;
  return { body: [{ deployWithStrategy: description }], application };
}

/** POSTs the file's deployWithStrategy to `/aws/ops`; resolves to the task id, or undefined when the facade refused it. */
async function startDeploy(input: { io: CliIo; facade: string; file: string; options: Options }): Promise<string | undefined> {
  const { io, options } = input;
  let text: string;
  try {
    text = await readFile(input.file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${input.file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${input.file} is not JSON: ${(err as Error).message}`);
  }
  const { body, application } = deployBody(parsed);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const by = options.by ?? io.env.USER;
  if (by) headers['x-spinnaker-user'] = by;
  const accounts = options.accounts ?? io.env.BOSUN_ACCOUNTS;
  if (accounts) headers['x-spinnaker-accounts'] = accounts;
  if (application) headers['x-spinnaker-application'] = application;
  const res = await fetch(`${input.facade.replace(/\/$/, '')}/aws/ops`, { method: 'POST', headers, body: JSON.stringify(body) });
  const answer = await res.text();
  let json: { id?: string; message?: string } = {};
  try {
    json = JSON.parse(answer) as { id?: string; message?: string };
  } catch {
    // Not JSON: shown as it is.
  }
  if (!res.ok || typeof json.id !== 'string') {
    io.err(`bosun deploy: the facade refused it (${res.status}): ${json.message ?? answer}`);
    return undefined;
  }
  io.out(`deploy started: task ${json.id}`);
  return json.id;
}

/** POSTs `/task/{id}/{action}` with the reason, as the user and on the accounts given; prints the facade's answer. */
async function taskAction(input: { io: CliIo; facade: string; task: string; action: string; options: Options }): Promise<ExitCode> {
  const { io, options } = input;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const by = options.by ?? io.env.USER;
  if (by) headers['x-spinnaker-user'] = by;
  const accounts = options.accounts ?? io.env.BOSUN_ACCOUNTS;
  if (accounts) headers['x-spinnaker-accounts'] = accounts;
  const url = `${input.facade.replace(/\/$/, '')}/task/${encodeURIComponent(input.task)}/${input.action}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(options.reason ? { reason: options.reason } : {}) });
  const text = await res.text();
  let body: { message?: string } = {};
  try {
    body = JSON.parse(text) as { message?: string };
  } catch {
    // Not JSON: shown as it is.
  }
  if (options.json) io.out(text);
  else if (res.ok) io.out(`${input.action} of task ${input.task} accepted${body.message ? `: ${body.message}` : ''}`);
  if (!res.ok) {
    if (!options.json) io.err(`bosun: ${input.action} of task ${input.task} refused (${res.status}): ${body.message ?? text}`);
    return EXIT.failure;
  }
  return EXIT.ok;
}

interface CommandInput {
  readonly io: CliIo;
  readonly file: string;
  readonly options: Options;
}

async function change({
  io,
  file,
  name,
  args,
  options,
  command,
}: CommandInput & { name: string; args: readonly string[]; command: Required<Command> }): Promise<ExitCode> {
  const reason = options.reason?.trim();
  if (!reason) throw new UsageError(`'${name}' changes routing and needs --reason "why" (it is recorded in ${AUDIT_LOG_NAME})`);
  const { edit, done } = command.describeChange(args);
  const who = options.by ?? io.env.USER ?? safeUserName();
  const result = await changeFlagFile({
    file,
    edit,
    who,
    action: name,
    args: Object.fromEntries(command.args.map((a, i) => [a, args[i]])),
    reason,
  });
  if (options.json) {
    io.out(
      JSON.stringify(
        result.changed ? { changed: true, file, audit: result.audit } : { changed: false, file, summary: result.before },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  if (!result.changed) {
    io.out(`nothing to change: ${summaryLine(result.before)}\n  (${file})`);
    return EXIT.ok;
  }
  io.out(
    `${done(result.after)}\n  ${file} is now version ${result.after.version ?? '?'}; audited in ${path.join(path.dirname(file), AUDIT_LOG_NAME)}`,
  );
  return EXIT.ok;
}

async function routing({ io, file, app, options, logger }: CommandInput & { app: string; logger: Logger }): Promise<ExitCode> {
  // Warnings (a refused file) go to stderr; decisions are printed, not logged.
  const router = await createRouter({ flagFile: file, logger, onInvalidAtStart: 'fail' });
  try {
    const ctx = {
      application: app,
      account: options.account ?? '',
      region: options.region,
      cloudProvider: options['cloud-provider'] ?? 'aws',
      operation: options.operation ?? '',
      user: options.user,
    };
    const decision = await router.decide(ctx);
    if (options.json) {
      io.out(JSON.stringify({ context: ctx, decision, file }, null, 2));
      return EXIT.ok;
    }
    const lines = [
      `${app} → ${decision.route} (rule: ${decision.rule})`,
      `  ${decision.reason}`,
      `  flag file ${file}: ${decision.flagState}`,
    ];
    const unchecked = [options.account === undefined && 'account', options.operation === undefined && 'operation'].filter(Boolean);
    if (unchecked.length > 0)
      lines.push(`  (no --${unchecked.join(' or --')} given: ${unchecked.join(' and ')} exclusions were not tested)`);
    io.out(lines.join('\n'));
    return EXIT.ok;
  } finally {
    await router.close();
  }
}

async function status({ io, file, options }: CommandInput): Promise<ExitCode> {
  const loaded = await readFlagFile(file);
  const s = describe(loaded.doc);
  if (options.json) {
    io.out(JSON.stringify({ file, exists: loaded.exists, summary: s }, null, 2));
    return EXIT.ok;
  }
  const list = (items: readonly string[]) => (items.length > 0 ? `: ${items.join(', ')}` : '');
  io.out(
    [
      `flag file ${file}${loaded.exists ? ` (version ${s.version ?? '?'})` : ' does not exist yet (the first change creates it)'}`,
      `  kill switch: ${s.killSwitch ? 'ON — every application goes to legacy' : 'off'}`,
      `  onboarded (Temporal): ${plural(s.applications.length, 'application')}${list(s.applications)}`,
      `  rollout: ${s.rolloutPercent === 0 ? 'none' : `${s.rolloutPercent}% of the other applications`}`,
      `  offboarded (held on legacy): ${plural(s.excludedApplications.length, 'application')}${list(s.excludedApplications)}`,
      `  excluded accounts: ${s.excludedAccounts.length}${list(s.excludedAccounts)}`,
      `  excluded operations: ${s.excludedOperations.length}${list(s.excludedOperations)}`,
      ...(s.otherRules > 0 ? [`  hand-written rules Bosun does not manage: ${s.otherRules}`] : []),
      ...(s.routingFlag !== 'ENABLED' ? [`  routing flag is ${s.routingFlag}: every application goes to legacy`] : []),
    ].join('\n'),
  );
  return EXIT.ok;
}

async function validate({ io, file, options }: CommandInput): Promise<ExitCode> {
  const loaded = await readFlagFile(file);
  if (!loaded.exists) {
    io.err(`bosun validate: ${file} does not exist`);
    return EXIT.failure;
  }
  io.out(options.json ? JSON.stringify({ file, ok: true }) : `${file} is valid: ${summaryLine(describe(loaded.doc))}`);
  return EXIT.ok;
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI on this process's arguments and sets its exit code (the entry point and the npm bin shim). */
export async function main(): Promise<void> {
  process.exitCode = await runBosunCli({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    tty: process.stderr.isTTY ? process.stderr : undefined,
  });
}

if (require.main === module) void main();
