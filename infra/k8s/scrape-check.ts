/**
 * Checks that the manifests' Prometheus scrape annotations name the ports Bosun's processes
 * really listen on (infra/k8s/check.sh runs it on the manifests it has parsed): a Prometheus that
 * scrapes by `prometheus.io/scrape`, `prometheus.io/port` and `prometheus.io/path` on pods (and on
 * Services, for the service-endpoints convention) must reach the worker's and the facade's
 * metrics, and a port changed in one place and not the other must fail here, not in production.
 * The ports come from Bosun's own config loader (config/index.ts) given the ConfigMap and each
 * container's environment, so its defaults count too.
 *
 *   npx tsx infra/k8s/scrape-check.ts <manifests.json>
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config';

interface Port {
  readonly name?: string;
  readonly containerPort: number;
}
interface Container {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ports: readonly Port[];
}
interface Deployment {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly Container[];
}
interface Service {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly targetPort?: number | string }[];
}
export interface Manifests {
  readonly configEnv: Readonly<Record<string, string>>;
  readonly deployments: readonly Deployment[];
  readonly services: readonly Service[];
}

/** An endpoint a process serves Prometheus metrics on. */
interface MetricsEndpoint {
  readonly what: string;
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** The metrics endpoints of the process a container runs (by its entry point), as its configuration sets them. */
function endpointsOf(container: Container, configEnv: Readonly<Record<string, string>>): MetricsEndpoint[] | undefined {
  const config = loadConfig({ ...configEnv, ...container.env, BOSUN_PAYLOAD_KEY: Buffer.alloc(32).toString('base64') }, process.cwd());
  const entry = container.command.join(' ');
  if (entry.includes('client/facade/main.ts'))
    return [{ what: "the facade's metrics", host: config.facade.host, port: config.facade.port, path: '/metrics' }];
  if (entry.includes('worker/main.ts')) {
    const out: MetricsEndpoint[] = [];
    if (config.worker.healthPort !== undefined)
      out.push({
        what: "the worker's metrics (beside /health)",
        host: config.worker.healthHost,
        port: config.worker.healthPort,
        path: '/metrics',
      });
    const sdk = config.worker.metricsAddress?.match(/^(.*):(\d+)$/);
    if (sdk) out.push({ what: "the worker's SDK metrics", host: sdk[1]!, port: Number(sdk[2]), path: '/metrics' });
    return out;
  }
  return undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The problems found (empty: every annotation names a port the process listens on, reachable from Prometheus). */
export function scrapeProblems(m: Manifests): string[] {
  const problems: string[] = [];
  const served = new Map<string, { endpoint: MetricsEndpoint; deployment: Deployment; container: Container }[]>();
  for (const d of m.deployments) {
    for (const c of d.containers) {
      const endpoints = endpointsOf(c, m.configEnv);
      if (!endpoints) continue;
      if (endpoints.length === 0) problems.push(`${d.name}/${c.name}: serves no metrics endpoint (set BOSUN_WORKER_HEALTH_PORT)`);
      for (const e of endpoints) {
        if (LOOPBACK.has(e.host))
          problems.push(`${d.name}/${c.name}: ${e.what} listen on ${e.host}:${e.port}, which Prometheus cannot reach`);
        if (!c.ports.some((p) => p.containerPort === e.port))
          problems.push(`${d.name}/${c.name}: ${e.what} are on port ${e.port}, which the container does not declare`);
      }
      served.set(d.name, [...(served.get(d.name) ?? []), ...endpoints.map((endpoint) => ({ endpoint, deployment: d, container: c }))]);
    }
    const a = d.annotations;
    const ours = served.get(d.name) ?? [];
    if (ours.length === 0) continue;
    if (a['prometheus.io/scrape'] !== 'true') {
      problems.push(`${d.name}: the pod template lacks prometheus.io/scrape: 'true'`);
      continue;
    }
    const port = Number(a['prometheus.io/port']);
    const path = a['prometheus.io/path'] ?? '/metrics';
    const hit = ours.find((s) => s.endpoint.port === port);
    if (!hit)
      problems.push(
        `${d.name}: prometheus.io/port is ${a['prometheus.io/port']}, but the metrics are on ${ours.map((s) => s.endpoint.port).join(', ')}`,
      );
    else if (hit.endpoint.path !== path)
      problems.push(`${d.name}: prometheus.io/path is ${path}, but ${hit.endpoint.what} are at ${hit.endpoint.path}`);
  }
  // Every endpoint is scraped: by its pod's annotations, or by an annotated Service selecting the pod.
  const scrapedByService = new Set<string>();
  for (const s of m.services) {
    if (s.annotations['prometheus.io/scrape'] !== 'true') continue;
    const pods = m.deployments.filter((d) => Object.entries(s.selector).every(([k, v]) => d.labels[k] === v));
    if (pods.length === 0) problems.push(`Service ${s.name}: is annotated for scraping but selects no Deployment's pods`);
    const port = Number(s.annotations['prometheus.io/port']);
    const path = s.annotations['prometheus.io/path'] ?? '/metrics';
    for (const d of pods)
      for (const c of d.containers) {
        // The service-endpoints convention scrapes each endpoint's pod IP at the annotated port.
        const target = s.ports.find((p) => p.port === port);
        const named =
          typeof target?.targetPort === 'string' ? c.ports.find((p) => p.name === target.targetPort)?.containerPort : target?.targetPort;
        const e = (served.get(d.name) ?? []).find((x) => x.endpoint.port === port);
        if (!e)
          problems.push(
            `Service ${s.name}: prometheus.io/port is ${port}, but ${d.name} serves metrics on ${(served.get(d.name) ?? []).map((x) => x.endpoint.port).join(', ')}`,
          );
        else if (e.endpoint.path !== path)
          problems.push(`Service ${s.name}: prometheus.io/path is ${path}, but ${e.endpoint.what} are at ${e.endpoint.path}`);
        else scrapedByService.add(`${d.name}:${port}`);
        if (target && named !== undefined && named !== port)
          problems.push(`Service ${s.name}: port ${port} targets ${String(target.targetPort)} (${named}), not the metrics port ${port}`);
      }
  }
  for (const [name, list] of served)
    for (const { endpoint } of list) {
      const d = m.deployments.find((x) => x.name === name)!;
      const byPod = d.annotations['prometheus.io/scrape'] === 'true' && Number(d.annotations['prometheus.io/port']) === endpoint.port;
      if (!byPod && !scrapedByService.has(`${name}:${endpoint.port}`))
        problems.push(`${name}: ${endpoint.what} (port ${endpoint.port}) are scraped by no annotation, on the pod or on a Service`);
    }
  return problems;
}

if (require.main === module) {
  const problems = scrapeProblems(JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Manifests);
  if (problems.length) {
    for (const p of problems) console.error(`k8s scrape annotations: ${p}`);
    process.exit(1);
  }
}
