import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricsOn } from '../../runtime';

/** The facade's Prometheus metrics; one registry per facade so tests can run several. */
export function createFacadeMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    registry,
    requests: counter('bosun_http_requests_total', 'HTTP requests answered by the facade, by route and status', [
      'method',
      'route',
      'status',
    ]),
    // Fine below 10 ms: a poll answered from the list of running tasks takes well under one.
    latency: histogram(
      'bosun_http_request_duration_seconds',
      'Time to answer, by route',
      ['route'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    tasks: counter(
      'bosun_tasks_submitted_total',
      'Tasks submitted, by where they went (temporal or legacy) and whether a new run started',
      ['route', 'outcome'],
    ),
    routing: counter(
      'bosun_routing_decisions_total',
      'Tasks routed, by where they went (temporal or legacy) and the rule that decided (an onboarding rule, unsupported-operation or unsupported-field)',
      ['route', 'rule'],
    ),
    runningLookups: counter(
      'bosun_running_tasks_lookups_total',
      'GET /task polls looked up in the list of running tasks: hit (answered from it), absent, stale (no fresh list) or closed (a run this facade saw end)',
      ['outcome'],
    ),
    runningRefreshes: counter(
      'bosun_running_tasks_refreshes_total',
      'Lists of running tasks read from Temporal: complete, truncated (more than the facade keeps) or failed',
      ['outcome'],
    ),
    runningListed: gauge('bosun_running_tasks_listed', 'Running tasks in the latest list'),
    runningRefreshSeconds: histogram(
      'bosun_running_tasks_refresh_seconds',
      'Time to read one list of running tasks (all pages)',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
  };
}

export type FacadeMetrics = ReturnType<typeof createFacadeMetrics>;
