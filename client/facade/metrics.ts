import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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
      // Fine below 10 ms: a poll answered from the list of running tasks takes well under one.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    tasks: new Counter({
      name: 'bosun_tasks_submitted_total',
      help: 'Tasks submitted, by where they went (temporal or legacy) and whether a new run started',
      labelNames: ['route', 'outcome'] as const,
      registers: [registry],
    }),
    routing: new Counter({
      name: 'bosun_routing_decisions_total',
      help: 'Tasks routed, by where they went (temporal or legacy) and the rule that decided (an onboarding rule, unsupported-operation or unsupported-field)',
      labelNames: ['route', 'rule'] as const,
      registers: [registry],
    }),
    runningLookups: new Counter({
      name: 'bosun_running_tasks_lookups_total',
      help: 'GET /task polls looked up in the list of running tasks: hit (answered from it), absent, stale (no fresh list) or closed (a run this facade saw end)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    runningRefreshes: new Counter({
      name: 'bosun_running_tasks_refreshes_total',
      help: 'Lists of running tasks read from Temporal: complete, truncated (more than the facade keeps) or failed',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    runningListed: new Gauge({
      name: 'bosun_running_tasks_listed',
      help: 'Running tasks in the latest list',
      registers: [registry],
    }),
    runningRefreshSeconds: new Histogram({
      name: 'bosun_running_tasks_refresh_seconds',
      help: 'Time to read one list of running tasks (all pages)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type FacadeMetrics = ReturnType<typeof createFacadeMetrics>;
