/**
 * Bosun's configuration: environment variables over an optional JSON file (BOSUN_CONFIG_FILE),
 * parsed once with zod into a frozen object. Every setting has a default that runs the embedded
 * local stack; pointing at a real Temporal cluster or real AWS is configuration only, with the
 * variable names those ecosystems already use (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../domain/operations';
import { WAIT_STRATEGIES } from '../domain/waits';
import { parseDuration } from './duration';

/** The repository root: the default venv and state folder are found from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || !Number.isInteger(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration (examples: 500ms, 30s, 15m, 2h)` });
    return z.NEVER;
  }
  return ms;
});
const port = z.coerce.number().int().min(1).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1')]);
/** A list from a file (JSON array) or from the environment (comma-separated). */
const list = z
  .union([
    z.array(z.string()),
    z.string().transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(z.string().min(1)));
const payloadKey = z.string().refine((k) => Buffer.from(k, 'base64').length === 32, { error: 'must be 32 bytes in base64 (AES-256)' });

const accountSchema = z.object({
  name: z.string().min(1),
  accountId: z
    .string()
    .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' })
    .optional(),
  profile: z.string().min(1).optional(),
  regions: z.array(z.string().min(1)).optional(),
});

export const configSchema = z.object({
  temporal: z.object({
    /** Unset: Bosun starts its own local dev server (the embedded default). */
    address: z.string().min(1).optional(),
    namespace: z.string().min(1).default('default'),
    apiKey: z.string().min(1).optional(),
    tls: z
      .object({
        enabled: bool.default(false),
        clientCertPath: z.string().optional(),
        clientKeyPath: z.string().optional(),
        serverCaCertPath: z.string().optional(),
        serverName: z.string().optional(),
      })
      .default({ enabled: false }),
    taskQueue: z.string().min(1).default('bosun'),
    /** Ports of the embedded dev server (gRPC and web UI). */
    localPort: port.default(7233),
    localUiPort: port.default(8233),
  }),
  aws: z.object({
    /** `emulator`: embedded moto unless `endpoint` is set; `aws`: the real AWS APIs. */
    mode: z.enum(['emulator', 'aws']).default('emulator'),
    endpoint: z.url().optional(),
    region: z.string().min(1).default('us-east-1'),
    accounts: z.array(accountSchema).min(1),
    sdkMaxAttempts: z.coerce.number().int().min(1).max(10).default(1),
    localPort: port.default(5000),
  }),
  /** How tasks run, whatever the cloud: what every workflow reads from its settings (domain/task-input.ts). */
  tasks: z.object({
    /** How long transient AWS errors are retried before the task fails. */
    retryWindowMs: duration.default(2 * 60 * 60 * 1000),
    /** How often waits look at AWS again. */
    pollIntervalMs: duration.default(10_000),
    /**
     * How new tasks wait for capacity or deletion (domain/waits.ts): `task-queue` (default; on
     * their own queue, BOSUN_MAX_CONCURRENT_WAITS), `workflow-timer` (the workflow polls) or
     * `activity` (each wait holds one of the task queue's activity slots).
     */
    waitStrategy: z.enum(WAIT_STRATEGIES).default('task-queue'),
  }),
  facade: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(7002),
    maxBodyBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** The legacy Clouddriver; absent = not-onboarded requests get a clear 503. */
    legacyUrl: z.url().optional(),
    requireUser: bool.default(true),
    checkAccounts: bool.default(true),
    /** Operations one POST may hold; checked before anything else is read from the body. */
    maxOperations: z.coerce.number().int().min(1).max(1000).default(50),
    /** JSON nesting a body may have; Clouddriver descriptions need about 6 levels. */
    maxJsonDepth: z.coerce.number().int().min(8).max(512).default(64),
    /** How long the upstream Clouddriver may take to answer a forwarded request. */
    legacyTimeoutMs: duration.default(60_000),
    /** How long one request waits for Temporal before answering 503 (Orca retries). */
    temporalCallTimeoutMs: duration.default(10_000),
    /**
     * While Orca polls, the facade lists the running tasks this often and answers their polls
     * from that list instead of one describe per poll (client/facade/running-tasks.ts); 0 = off.
     */
    runningTasksRefreshMs: duration.default(1000),
    /** Running tasks one list holds; polls of any more are described one by one. */
    runningTasksMax: z.coerce.number().int().min(1).max(100_000).default(10_000),
  }),
  /**
   * The remote codec endpoint the Temporal UI calls to show encrypted payloads. Whoever can call
   * it reads user data, so it is off by default, never on the Orca listener, and needs a token.
   */
  codecEndpoint: z
    .object({
      enabled: bool.default(false),
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(7003),
      /** Sent by the caller as `Authorization: Bearer <token>`; at least 32 characters. */
      token: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
      /** Origins (scheme://host[:port]) whose browsers may call it, e.g. the Temporal UI's. */
      corsOrigins: list.default([]),
    })
    .refine((c) => !c.enabled || c.token !== undefined, {
      error: 'the codec endpoint needs a token (BOSUN_CODEC_TOKEN) when enabled',
      path: ['token'],
    })
    .refine((c) => c.corsOrigins.every((o) => /^https?:\/\/[^/\s*]+$/.test(o)), {
      error: 'each CORS origin must be scheme://host[:port] with no path and no wildcard',
      path: ['corsOrigins'],
    }),
  routing: z.object({
    /**
     * The onboarding flag file (flagd JSON), an absolute path; default `<stateDir>/flags/routing.json`.
     * The facade, `npm start` and the `bosun` CLI all read it from here, so they edit the same file.
     */
    flagFile: z.string().min(1),
    /** A missing or broken flag file at start: refuse to start, or route everything to legacy until it is fixed. */
    onInvalidAtStart: z.enum(['fail', 'all-legacy']).default('fail'),
  }),
  /** The payload codec that encrypts user data before it reaches Temporal (DESIGN invariant 7). */
  codec: z.object({
    /**
     * base64 of 32 bytes (AES-256), the one key workers and facades share; its id is derived from
     * it. Absent = a key generated once under the state folder, allowed for the local stack only.
     */
    key: payloadKey.optional(),
    /** Keys used before a rotation: they still decrypt, the current key encrypts. */
    previousKeys: z
      .union([
        z.array(payloadKey),
        z.string().transform((s) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        ),
      ])
      .pipe(z.array(payloadKey))
      .default([]),
  }),
  images: z.object({
    /**
     * Who may own an image found by name, besides the deploying account itself and the configured
     * accounts' ids: AWS account ids, or `amazon` / `aws-marketplace`. Default `amazon` (Amazon's
     * own images; no one else can publish under that alias). Set `self` for the accounts only.
     */
    allowedOwners: list.default(['amazon']),
  }),
  worker: z.object({
    /**
     * A prebuilt workflow bundle (bundleWorkflowCode); absent = the one in
     * `<stateDir>/workflow-bundle/`, rebuilt by a child process when the workflow code changed.
     */
    bundlePath: z.string().min(1).optional(),
    /** The worker identity Temporal shows on each task; absent = the SDK's pid@host. */
    identity: z.string().min(1).optional(),
    /** Activities one worker runs at once (activity slots); absent = the SDK's default (100). */
    maxConcurrentActivities: z.coerce.number().int().min(1).max(10_000).optional(),
    /**
     * Waits (for capacity, for a deletion) the waits worker runs at once, on `<taskQueue>-waits`.
     * High: a wait sleeps between polls, costing a timer and a heartbeat, not a CPU.
     */
    maxConcurrentWaits: z.coerce.number().int().min(1).max(100_000).default(1000),
    /**
     * Workflows kept in the worker's sticky cache. The SDK would size it from the heap limit (~2,300
     * on a 24 GiB machine, at up to ~1.9 MiB each), so RSS grew with every running task; 50 bounds a
     * worker's memory (bench/results/bench-memory.md) and stays above the SDK's 40 workflow
     * tasks in progress at once. A workflow evicted from the cache replays its history on its next
     * workflow task (createServerGroup: 50-100 events, milliseconds of CPU, and a history read).
     */
    maxCachedWorkflows: z.coerce.number().int().min(0).max(100_000).default(50),
    /** Port of the worker's `GET /health` (for an orchestrator's probes); absent = none. */
    healthPort: port.optional(),
    healthHost: z.string().min(1).default('127.0.0.1'),
    /**
     * Where the SDK runtime serves its Prometheus metrics (`host:port`), e.g. workflow-task
     * failures (`temporal_workflow_task_execution_failed_total`); absent = no metrics endpoint.
     */
    metricsAddress: z
      .string()
      .regex(/^[^:\s]+:\d{1,5}$/, { error: 'must be host:port, e.g. 127.0.0.1:9464' })
      .optional(),
    /**
     * Worker Deployment versioning (docs/production.md, "Deploying a new worker version"): the worker polls as
     * version `<deploymentName>:<buildId>` and receives only tasks routed to that version.
     */
    versioning: bool.default(false),
    deploymentName: z.string().min(1).default('bosun'),
    /** This worker's build id; absent = the git commit of the checkout (with `-dirty` for local edits). */
    buildId: z.string().min(1).optional(),
  }),
  /**
   * Traces (runtime/tracing.ts), from OpenTelemetry's standard variables: on when
   * OTEL_TRACES_EXPORTER names an exporter or an OTLP endpoint is set, off otherwise (Bosun's
   * default, unlike the SDK's, so that a process nobody pointed at a collector sends nothing).
   * The exporter itself reads the rest (OTEL_EXPORTER_OTLP_HEADERS, timeouts, OTEL_BSP_*).
   */
  tracing: z
    .object({
      exporter: z.enum(['otlp', 'console', 'none']).optional(),
      endpoint: z.url().optional(),
      tracesEndpoint: z.url().optional(),
      /** OTEL_SDK_DISABLED: off whatever else is set. */
      disabled: bool.default(false),
      /** OTEL_SERVICE_NAME; absent = `bosun-<component>` (bosun-worker, bosun-facade, bosun-start). */
      serviceName: z.string().min(1).optional(),
      /** BOSUN_JAEGER: `npm start` runs Jaeger beside the stack and exports to it (infra/jaeger/jaeger.ts). */
      jaeger: bool.default(false),
    })
    .default({ disabled: false, jaeger: false }),
  /** Where the pinned local tools are (infra/setup.sh installs them into the venv). */
  tools: z.object({
    venv: z.string().min(1),
    temporalCli: z.string().min(1).optional(),
    motoPython: z.string().min(1).optional(),
    /** The PATH searched for a Temporal CLI when the venv has none. */
    searchPath: z.string().default(''),
  }),
  stateDir: z.string().min(1),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type BosunConfig = Readonly<z.infer<typeof configSchema>>;
export type AccountConfig = z.infer<typeof accountSchema>;

type Env = Readonly<Record<string, string | undefined>>;

/** The documented environment variables and where each lands in the config. */
export const ENVIRONMENT: Readonly<Record<string, string>> = {
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_API_KEY: 'temporal.apiKey',
  TEMPORAL_TLS: 'temporal.tls.enabled',
  TEMPORAL_TLS_CLIENT_CERT_PATH: 'temporal.tls.clientCertPath',
  TEMPORAL_TLS_CLIENT_KEY_PATH: 'temporal.tls.clientKeyPath',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'temporal.tls.serverCaCertPath',
  TEMPORAL_TLS_SERVER_NAME: 'temporal.tls.serverName',
  BOSUN_TASK_QUEUE: 'temporal.taskQueue',
  BOSUN_TEMPORAL_PORT: 'temporal.localPort',
  BOSUN_TEMPORAL_UI_PORT: 'temporal.localUiPort',
  BOSUN_AWS: 'aws.mode',
  AWS_ENDPOINT_URL: 'aws.endpoint',
  AWS_REGION: 'aws.region',
  BOSUN_AWS_SDK_MAX_ATTEMPTS: 'aws.sdkMaxAttempts',
  BOSUN_AWS_RETRY_WINDOW: 'tasks.retryWindowMs',
  BOSUN_POLL_INTERVAL: 'tasks.pollIntervalMs',
  BOSUN_WAIT_STRATEGY: 'tasks.waitStrategy',
  BOSUN_MOTO_PORT: 'aws.localPort',
  BOSUN_FACADE_HOST: 'facade.host',
  BOSUN_FACADE_PORT: 'facade.port',
  BOSUN_MAX_BODY_BYTES: 'facade.maxBodyBytes',
  BOSUN_LEGACY_CLOUDDRIVER_URL: 'facade.legacyUrl',
  BOSUN_REQUIRE_USER: 'facade.requireUser',
  BOSUN_CHECK_ACCOUNTS: 'facade.checkAccounts',
  BOSUN_MAX_OPERATIONS: 'facade.maxOperations',
  BOSUN_MAX_JSON_DEPTH: 'facade.maxJsonDepth',
  BOSUN_LEGACY_TIMEOUT: 'facade.legacyTimeoutMs',
  BOSUN_TEMPORAL_CALL_TIMEOUT: 'facade.temporalCallTimeoutMs',
  BOSUN_RUNNING_TASKS_REFRESH: 'facade.runningTasksRefreshMs',
  BOSUN_RUNNING_TASKS_MAX: 'facade.runningTasksMax',
  BOSUN_CODEC_ENDPOINT: 'codecEndpoint.enabled',
  BOSUN_CODEC_HOST: 'codecEndpoint.host',
  BOSUN_CODEC_PORT: 'codecEndpoint.port',
  BOSUN_CODEC_TOKEN: 'codecEndpoint.token',
  BOSUN_CODEC_CORS_ORIGINS: 'codecEndpoint.corsOrigins',
  BOSUN_IMAGE_OWNERS: 'images.allowedOwners',
  BOSUN_FLAG_FILE: 'routing.flagFile',
  BOSUN_FLAG_ON_INVALID: 'routing.onInvalidAtStart',
  BOSUN_PAYLOAD_KEY: 'codec.key',
  BOSUN_PAYLOAD_PREVIOUS_KEYS: 'codec.previousKeys',
  BOSUN_WORKFLOW_BUNDLE: 'worker.bundlePath',
  BOSUN_WORKER_IDENTITY: 'worker.identity',
  BOSUN_MAX_CONCURRENT_ACTIVITIES: 'worker.maxConcurrentActivities',
  BOSUN_MAX_CONCURRENT_WAITS: 'worker.maxConcurrentWaits',
  BOSUN_MAX_CACHED_WORKFLOWS: 'worker.maxCachedWorkflows',
  BOSUN_WORKER_HEALTH_PORT: 'worker.healthPort',
  BOSUN_WORKER_HEALTH_HOST: 'worker.healthHost',
  BOSUN_WORKER_METRICS_ADDRESS: 'worker.metricsAddress',
  BOSUN_WORKER_VERSIONING: 'worker.versioning',
  BOSUN_DEPLOYMENT_NAME: 'worker.deploymentName',
  BOSUN_BUILD_ID: 'worker.buildId',
  OTEL_TRACES_EXPORTER: 'tracing.exporter',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'tracing.endpoint',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'tracing.tracesEndpoint',
  OTEL_SDK_DISABLED: 'tracing.disabled',
  OTEL_SERVICE_NAME: 'tracing.serviceName',
  BOSUN_JAEGER: 'tracing.jaeger',
  BOSUN_VENV: 'tools.venv',
  TEMPORAL_CLI_PATH: 'tools.temporalCli',
  MOTO_PYTHON: 'tools.motoPython',
  PATH: 'tools.searchPath',
  BOSUN_STATE_DIR: 'stateDir',
  BOSUN_LOG_LEVEL: 'logLevel',
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid Bosun configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from an environment (process.env by default) and the file it names.
 * `BOSUN_ACCOUNTS` is a comma-separated list of account names (`test,prod`) or a JSON array of
 * `{name, accountId?, profile?, regions?}`; the default is one account `test` (moto's default id).
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): BosunConfig {
  const raw: Record<string, unknown> = {};
  const file = env.BOSUN_CONFIG_FILE;
  if (file) {
    try {
      Object.assign(raw, JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8')) as Record<string, unknown>);
    } catch (err) {
      throw new ConfigError([`BOSUN_CONFIG_FILE ${file}: ${(err as Error).message}`]);
    }
  }
  for (const [name, target] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, target, value);
  }
  setDefault(raw, 'temporal', {});
  setDefault(raw, 'aws', {});
  setDefault(raw, 'tasks', {});
  setDefault(raw, 'facade', {});
  setDefault(raw, 'routing', {});
  setDefault(raw, 'codec', {});
  setDefault(raw, 'codecEndpoint', {});
  setDefault(raw, 'images', {});
  setDefault(raw, 'worker', {});
  setDefault(raw, 'tools', {});
  // Relative paths are taken from the working directory once, here, so every entry point that
  // shares an environment (npm start, the facade, the worker, the CLI) resolves the same files.
  const stateDir = path.resolve(cwd, typeof raw.stateDir === 'string' ? raw.stateDir : '.state');
  raw.stateDir = stateDir;
  const routing = raw.routing as Record<string, unknown>;
  routing.flagFile = path.resolve(
    cwd,
    typeof routing.flagFile === 'string' ? routing.flagFile : path.join(stateDir, 'flags', 'routing.json'),
  );
  const tools = raw.tools as Record<string, unknown>;
  tools.venv = path.resolve(cwd, typeof tools.venv === 'string' ? tools.venv : path.join(PROJECT_ROOT, '.venv'));
  const aws = raw.aws as Record<string, unknown>;
  if (env.BOSUN_ACCOUNTS) aws.accounts = parseAccounts(env.BOSUN_ACCOUNTS);
  setDefault(aws, 'accounts', [{ name: 'test', accountId: '123456789012' }]);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues).map(explainPath));
  return deepFreeze(parsed.data);
}

function parseAccounts(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch (err) {
      throw new ConfigError([`BOSUN_ACCOUNTS: not valid JSON: ${(err as Error).message}`]);
    }
  }
  return trimmed
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => ({ name }));
}

/** Adds the environment variable's name to a message about a config path, so the fix is obvious. */
function explainPath(problem: string): string {
  const field = problem.split(':')[0] ?? '';
  const variable = Object.entries(ENVIRONMENT).find(([, target]) => target === field)?.[0];
  return variable ? `${problem} (environment variable ${variable})` : problem;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function setDefault(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (obj[key] === undefined) obj[key] = value;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export { awsEndpoint, imageOwners, taskSettings, temporalAddress } from './derived';
