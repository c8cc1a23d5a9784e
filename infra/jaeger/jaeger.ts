/**
 * A trace viewer beside the local stack (`npm start -- --jaeger`, or BOSUN_JAEGER=1): Jaeger v2
 * (`github.com/jaegertracing/jaeger/cmd/jaeger`, an OpenTelemetry Collector with Jaeger's
 * in-memory storage and query service), built from the Go module proxy by infra/go-binaries.ts into
 * a cache folder outside git, run on loopback with an OTLP/HTTP receiver that the worker and the
 * facade export to.
 *
 * The Jaeger UI's JavaScript is not part of the Go module (Jaeger's release builds embed it from
 * another repository, which no registry this machine reaches serves), so the query service is
 * pointed at Bosun's own viewer instead (`VIEWER_DIR`, static files, no build step): it serves it
 * at the UI's address, and the viewer reads the query API there (`/api/services`,
 * `/api/traces?service=…`, `/api/traces/<trace id>`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureGoBinaries, goCacheDir } from '../go-binaries';
import type { OwnedServerOptions, RunningProcess } from '../stack';
import { assertPortFree, launchReady } from '../stack';

/** The module version: its v1.x tags are Jaeger v2's releases (the module path has no /v2). */
export const JAEGER_VERSION = 'v1.75.0';

export function defaultJaegerCacheDir(): string {
  return goCacheDir('jaeger', JAEGER_VERSION);
}

export interface JaegerBinary {
  readonly binary: string;
  /** False when the cached binary was reused. */
  readonly built: boolean;
  readonly ms: number;
}

/** Builds Jaeger unless it is cached, at low priority (`nice`); the build's output goes to `log` line by line. */
export async function ensureJaeger(opts: { cacheDir?: string; log?: (line: string) => void } = {}): Promise<JaegerBinary> {
  const { paths, built, ms } = await ensureGoBinaries(
    {
      name: 'jaeger',
      title: 'Jaeger',
      module: 'github.com/jaegertracing/jaeger',
      version: JAEGER_VERSION,
      binaries: { jaeger: 'github.com/jaegertracing/jaeger/cmd/jaeger' },
    },
    { cacheDir: opts.cacheDir ?? defaultJaegerCacheDir(), log: opts.log },
  );
  return { binary: paths['jaeger']!, built, ms };
}

/**
 * Bosun's trace viewer (index.html, static/): the query service serves it as its UI
 * (cmd/query/app/static_handler.go: `/static/…` from this directory, index.html for every other
 * path it does not route, so `/trace/<id>` deep links load the viewer). Resolved from this file,
 * so any clone serves its own copy.
 */
export const VIEWER_DIR = path.join(__dirname, 'ui');

export interface JaegerOptions extends OwnedServerOptions {
  readonly binary: string;
  /** Where its config and log go. */
  readonly dir: string;
  readonly uiPort?: number | undefined;
  readonly otlpHttpPort?: number | undefined;
  /** The query service's gRPC API and the health check: fixed by default; tests pass free ports so two Jaegers can run at once. */
  readonly grpcQueryPort?: number | undefined;
  readonly healthPort?: number | undefined;
  readonly readyTimeoutMs?: number | undefined;
}

export interface JaegerServer extends RunningProcess {
  /** The query service: the UI's address and its API. */
  readonly uiUrl: string;
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to for the processes that export to it. */
  readonly otlpEndpoint: string;
}

/** Jaeger's configuration: OTLP/HTTP in, memory storage, the query service serving Bosun's viewer; everything on loopback. */
export function jaegerConfig(
  ports: { ui: number; otlpHttp: number; grpcQuery: number; health: number },
  viewerDir: string = VIEWER_DIR,
): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${ports.health}
  jaeger_query:
    storage:
      traces: memstore
    ui:
      assets_path: ${JSON.stringify(viewerDir)}
    http:
      endpoint: 127.0.0.1:${ports.ui}
    grpc:
      endpoint: 127.0.0.1:${ports.grpcQuery}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlpHttp}
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Starts Jaeger and resolves once its query API answers. */
export async function startJaeger(opts: JaegerOptions): Promise<JaegerServer> {
  const ports = {
    ui: opts.uiPort ?? 16686,
    otlpHttp: opts.otlpHttpPort ?? 4318,
    grpcQuery: opts.grpcQueryPort ?? 16685,
    health: opts.healthPort ?? 13133,
  };
  for (const [port, what] of [
    [ports.ui, 'the Jaeger UI'],
    [ports.otlpHttp, "Jaeger's OTLP receiver"],
  ] as const)
    await assertPortFree(port, what);
  mkdirSync(opts.dir, { recursive: true });
  const configFile = path.join(opts.dir, 'config.yaml');
  writeFileSync(configFile, jaegerConfig(ports));
  const logFile = path.join(opts.dir, 'jaeger.log');
  const uiUrl = `http://127.0.0.1:${ports.ui}`;
  const server = await launchReady(
    'jaeger',
    opts.binary,
    ['--config', configFile],
    { ...opts, logFile },
    {
      what: `Jaeger on ${uiUrl}`,
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      probe: async () => {
        const res = await fetch(`${uiUrl}/api/services`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      },
    },
  );
  return {
    ...server,
    uiUrl,
    otlpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`,
  };
}
