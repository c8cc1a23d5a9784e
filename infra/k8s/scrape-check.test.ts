/**
 * The scrape-annotation check (scrape-check.ts; infra/k8s/check.sh runs it on the real manifests):
 * annotations that match the ports Bosun's config gives the processes pass, and each kind of
 * drift fails with what drifted.
 */
import type { Manifests } from './scrape-check';
import { scrapeProblems } from './scrape-check';

const labels = (component: string) => ({ 'app.kubernetes.io/name': 'bosun', 'app.kubernetes.io/component': component });
const scrape = (port: string) => ({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': port, 'prometheus.io/path': '/metrics' });

function manifests(over: { facadePort?: string; workerSdk?: string; servicePort?: number; facadeEnvPort?: string } = {}): Manifests {
  return {
    configEnv: { BOSUN_TASK_QUEUE: 'bosun' },
    deployments: [
      {
        name: 'bosun-facade',
        labels: labels('facade'),
        annotations: scrape(over.facadePort ?? '7002'),
        containers: [
          {
            name: 'facade',
            command: ['node', 'client/facade/main.ts'],
            env: { BOSUN_FACADE_HOST: '0.0.0.0', ...(over.facadeEnvPort ? { BOSUN_FACADE_PORT: over.facadeEnvPort } : {}) },
            ports: [{ name: 'http', containerPort: 7002 }],
          },
        ],
      },
      {
        name: 'bosun-worker',
        labels: labels('worker'),
        annotations: scrape('8080'),
        containers: [
          {
            name: 'worker',
            command: ['node', 'worker/main.ts'],
            env: {
              BOSUN_WORKER_HEALTH_HOST: '0.0.0.0',
              BOSUN_WORKER_HEALTH_PORT: '8080',
              BOSUN_WORKER_METRICS_ADDRESS: over.workerSdk ?? '0.0.0.0:9464',
            },
            ports: [
              { name: 'health', containerPort: 8080 },
              { name: 'sdk-metrics', containerPort: 9464 },
            ],
          },
        ],
      },
    ],
    services: [
      {
        name: 'bosun-worker-sdk-metrics',
        annotations: scrape(String(over.servicePort ?? 9464)),
        selector: labels('worker'),
        ports: [{ name: 'sdk-metrics', port: over.servicePort ?? 9464, targetPort: 'sdk-metrics' }],
      },
    ],
  };
}

test('annotations naming the ports the processes listen on pass (the facade on its default port)', () => {
  expect(scrapeProblems(manifests())).toEqual([]);
});

test("a pod annotation that is not the facade's port fails", () => {
  expect(scrapeProblems(manifests({ facadePort: '7003' }))).toEqual(
    expect.arrayContaining(['bosun-facade: prometheus.io/port is 7003, but the metrics are on 7002']),
  );
});

test('the facade moved by its environment, the annotation and the container port left behind, fails', () => {
  expect(scrapeProblems(manifests({ facadeEnvPort: '7100' }))).toEqual(
    expect.arrayContaining([
      "bosun-facade/facade: the facade's metrics are on port 7100, which the container does not declare",
      'bosun-facade: prometheus.io/port is 7002, but the metrics are on 7100',
    ]),
  );
});

test("the worker's SDK metrics on loopback, or on a port the annotated Service does not name, fail", () => {
  expect(scrapeProblems(manifests({ workerSdk: '127.0.0.1:9464' }))).toEqual([
    "bosun-worker/worker: the worker's SDK metrics listen on 127.0.0.1:9464, which Prometheus cannot reach",
  ]);
  expect(scrapeProblems(manifests({ servicePort: 9465 }))).toEqual(
    expect.arrayContaining([
      'Service bosun-worker-sdk-metrics: prometheus.io/port is 9465, but bosun-worker serves metrics on 8080, 9464',
      "bosun-worker: the worker's SDK metrics (port 9464) are scraped by no annotation, on the pod or on a Service",
    ]),
  );
});
