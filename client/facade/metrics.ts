import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The facade's Prometheus metrics; one registry per facade so tests can run several. */
export function createFacadeMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'bosun_http_requests_total',
      help: 'HTTP requests answered by the facade, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'bosun_http_request_duration_seconds',
      help: 'Time to answer, by route',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    tasks: new Counter({
      name: 'bosun_tasks_submitted_total',
      help: 'Tasks submitted, by where they went (temporal or legacy) and whether a new run started',
      labelNames: ['route', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type FacadeMetrics = ReturnType<typeof createFacadeMetrics>;
