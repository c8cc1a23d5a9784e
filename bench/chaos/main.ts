/**
 * `npm run chaos` (= `npm run bench -- --only chaos --`): the instrument behind Bosun's promise that deployments stop failing on
 * transient faults. Starts its own Temporal dev server (SQLite file in a temp dir, headless,
 * free port) and moto, runs Bosun and then the legacy-style baseline through the same faults,
 * prints the two side by side and writes JSON and markdown under bench/results/.
 *
 *   npm run chaos -- --ops 100 --fault-rate 0.1 --seed 42 --worker-kills 3 --server-restarts 1 \
 *     --facade-restarts 1 --poll-ms 2000 --out bench/results/chaos-full   (these are the defaults)
 *   npm run chaos -- --ops 2000 --out bench/results/chaos-2000   (at volume; ramp, deadlines and
 *     the fault window grow with --ops, see scaledDefaults in chaos.ts)
 *
 * `npm run chaos -- --help` lists every flag with its default (from chaosOptionsSchema).
 */
import { writeWorkflowBundle } from '../../worker/workflow-bundle';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MotoServer, TemporalDevServer, TemporalDevServerOptions } from '../../infra/stack';
import { freePort, startMoto, startTemporalDevServer } from '../../infra/stack';
import { PROJECT_ROOT } from '../../infra/tools';
import { startServers, warmMoto } from '../../test/support/stack';
import type { ChaosOptions, ChaosRunReport, ChaosStack, ChaosWorkload } from './chaos';
import { chaosOptionsSchema, runChaos, SCALED_OPTIONS, scaledDefaults } from './chaos';
import { ORCA_WORKLOAD } from './run';
import { STRATEGY_WORKLOAD } from './strategy-run';
import type { ClusterStack } from './cluster-stack';
import { CLUSTER_RUN_DEFAULTS, startClusterStack } from './cluster-stack';
import { ensureTemporalServer } from '../../infra/cluster/server-binary';
import type { ChaosReport } from './report';
import { renderComparison } from './report';

interface Cli {
  readonly options: ChaosOptions;
  readonly out: string;
  /** `dev`: its own dev server (the default); `cluster`: its own Temporal cluster (infra/cluster). */
  readonly temporal: 'dev' | 'cluster';
}

function parseArgs(argv: readonly string[]): Cli {
  const raw: Record<string, unknown> = {};
  let out: string | undefined;
  let temporal: Cli['temporal'] = 'dev';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help') {
      process.stdout.write(help());
      process.exit(0);
    }
    if (arg === '--no-baseline') raw.baseline = false;
    else if (arg.startsWith('--')) {
      const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (flag === 'out') out = value;
      else if (flag === 'temporal') {
        if (value !== 'dev' && value !== 'cluster') throw new Error(`--temporal ${value}: 'dev' (the dev server) or 'cluster'`);
        temporal = value;
      } else raw[flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
    } else {
      throw new Error(`unexpected argument '${arg}'`);
    }
  }
  const known = new Set(Object.keys(chaosOptionsSchema.shape));
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length)
    throw new Error(`unknown flags: ${unknown.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  if (temporal === 'cluster') for (const [k, v] of Object.entries(CLUSTER_RUN_DEFAULTS)) raw[k] ??= v;
  // Deadlines and the ramp follow the run's size unless given; the schema checks whatever results.
  const ops = Number(raw.ops ?? chaosOptionsSchema.shape.ops.parse(undefined));
  if (Number.isInteger(ops) && ops > 0) {
    const scaled = scaledDefaults(ops);
    for (const k of SCALED_OPTIONS) raw[k] ??= scaled[k];
  }
  out ??=
    raw.workload === 'strategy'
      ? 'bench/results/chaos-strategy'
      : temporal === 'cluster'
        ? 'bench/results/chaos-cluster'
        : 'bench/results/chaos-full';
  const parsed = chaosOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  // The results folder is shared with the bench; this tool writes only chaos-* files there.
  if (!path.basename(out).startsWith('chaos-')) throw new Error(`--out ${out}: the file name must start with 'chaos-'`);
  return { options: parsed.data, out, temporal };
}

/** Runs the chaos run that `argv` (its own flags, see HELP) describes; resolves to Bosun's problems (none = passed). */
export async function runChaosCli(argv: readonly string[]): Promise<readonly string[]> {
  const cli = parseArgs(argv);
  const t0 = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bosun-chaos-'));
  const log = (line: string) => process.stdout.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping what this run started`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  // The first build of the cluster's server takes minutes; it is not part of the run's limit.
  if (cli.temporal === 'cluster') await ensureTemporalServer({ log: (l) => log(`build: ${l}`) });
  // The run stops by itself: both phases' limits plus set-up and sweeps.
  const hardLimitMs = cli.options.phaseTimeoutMs * (cli.options.baseline ? 2 : 1) + 180_000;
  const watchdog = setTimeout(() => {
    log(`hard limit of ${hardLimitMs / 1000} s reached: stopping`);
    void cleanup().finally(() => process.exit(2));
  }, hardLimitMs);
  watchdog.unref();

  try {
    log(`work dir ${workDir}`);
    const dbFile = path.join(workDir, 'temporal.sqlite');
    const tStack = Date.now();
    let temporal: TemporalDevServer | undefined;
    let temporalOpts: TemporalDevServerOptions | undefined;
    let clusterStack: ClusterStack | undefined;
    let moto: MotoServer;
    if (cli.temporal === 'cluster') {
      const motoStarted = freePort().then((port) => startMoto({ port, logFile: path.join(workDir, 'moto.log') }));
      try {
        clusterStack = await startClusterStack({ downtimeMs: cli.options.serviceDowntimeMs, log });
      } finally {
        const started = await motoStarted;
        cleanups.push(() => started.stop());
      }
      moto = await motoStarted;
      const ownCluster = clusterStack;
      cleanups.push(() => ownCluster.stop());
      await warmMoto(moto.endpoint);
    } else {
      const servers = await startServers({ dir: workDir, dbFile, temporalReadyTimeoutMs: 60_000 });
      ({ temporal, temporalOptions: temporalOpts } = servers);
      moto = servers.moto!;
      const started = moto;
      cleanups.push(() => started.stop());
      // The run restarts the dev server: stop whichever one is up at the end.
      cleanups.push(() => temporal!.stop());
    }
    const stackMs = Date.now() - tStack;
    const tBundle = Date.now();
    const workflowBundle = await writeWorkflowBundle(path.join(workDir, 'workflow-bundle.js'));
    const bundleMs = Date.now() - tBundle;
    const temporalAddress = () => (clusterStack ? clusterStack.cluster.address : temporal!.address);
    log(
      `Temporal ${temporalAddress()} (${clusterStack ? clusterStack.cluster.dir : dbFile}), moto ${moto.endpoint}, ready in ${stackMs} ms; workflow bundle in ${bundleMs} ms`,
    );

    const setup: Record<string, unknown> = { stackReadyMs: stackMs, workflowBundleMs: bundleMs, launcher: 'node-require-tsx' };
    if (clusterStack) {
      setup.temporal = `PostgreSQL, frontend (mTLS), 2 history nodes, matching, worker service; 4 shards`;
      setup.cluster = clusterStack.cluster.timings;
      setup.clusterRecoveries = clusterStack.recoveries;
    }

    const restarts: number[] = [];
    setup.temporalRestartMs = restarts;
    const chaosStack: ChaosStack = {
      temporalAddress,
      restartTemporal: temporal
        ? async () => {
            const t = Date.now();
            await temporal!.stop();
            temporal = await startTemporalDevServer(temporalOpts!);
            restarts.push(Date.now() - t);
          }
        : undefined,
      clusterFault: clusterStack?.clusterFault,
      temporalEnv: clusterStack ? withoutAddress(clusterStack.cluster.env) : undefined,
      description: clusterStack?.description,
      motoEndpoint: moto.endpoint,
      resetMoto: async () => {
        const res = await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
        if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
        await warmMoto(moto.endpoint);
      },
      workflowBundle,
      workDir,
      setup,
    };
    const write = async <R>(workload: ChaosWorkload<R>, more: (report: ChaosRunReport<R>) => string = () => '') => {
      const report = await runChaos(workload, cli.options, chaosStack, log);
      const md = workload.markdown(report) + more(report);
      process.stdout.write(`\n${md}\n`);
      const out = path.resolve(PROJECT_ROOT, cli.out);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(`${out}.json`, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(`${out}.md`, md);
      log(`wrote ${path.relative(PROJECT_ROOT, out)}.json and .md (logs of every process in ${workDir})`);
      return report.bosunProblems;
    };
    if (cli.options.workload === 'strategy') return await write(STRATEGY_WORKLOAD);
    // On a cluster, the markdown ends with the committed dev-server run beside it.
    return await write(ORCA_WORKLOAD, (report) =>
      clusterStack ? renderComparison(readJson(path.resolve(PROJECT_ROOT, 'bench/results/chaos-full.json')), report) : '',
    );
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** --help, from the option schema's descriptions and defaults (the scaled ones name their rule). */
function help(): string {
  const line = (flag: string, text: string) => `  ${flag.padEnd(24)} ${text}`;
  const options = Object.entries(chaosOptionsSchema.shape).map(([key, schema]) => {
    if (key === 'baseline') return line('--no-baseline', schema.description!.replace('--no-baseline: ', ''));
    const value = (SCALED_OPTIONS as readonly string[]).includes(key)
      ? undefined
      : (schema.safeParse(undefined).data as string | number | undefined);
    return line(`--${kebab(key)}`, `${schema.description}${value === undefined ? '' : ` (default ${String(value)})`}`);
  });
  return [
    'usage: npm run chaos -- [flags]   (or npm run bench -- --only chaos -- [flags])',
    '',
    'Runs Bosun, then a legacy-style baseline, through the same seeded AWS faults and process faults',
    'on a Temporal dev server and moto of its own; writes <out>.json and <out>.md.',
    '',
    ...options,
    line('--temporal dev|cluster', 'the dev server (default) or a Temporal cluster of its own (infra/cluster)'),
    line('--out path', 'result files, name starting with chaos- (default bench/results/chaos-full, -strategy or -cluster)'),
    line('--help', 'this text'),
    '',
    'The whole run stops by itself after the phase timeout (twice with the baseline) plus 3 minutes.',
    '',
  ].join('\n');
}

function withoutAddress(env: Readonly<Record<string, string>>): Record<string, string> {
  const { TEMPORAL_ADDRESS: _address, ...rest } = env;
  return rest;
}

function readJson(file: string): ChaosReport | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ChaosReport;
  } catch {
    return undefined;
  }
}
