// @ts-check
/**
 * What Bosun's trace viewer makes of the JSON Jaeger's query API answers (`/api/traces`,
 * `/api/traces/<trace id>`): the span tree, the rows of the waterfall and the one-line summaries
 * of the trace list. Pure functions, no DOM: the page (viewer.js) imports this file as an ES
 * module, and jest imports the same file from node (test/trace-model.test.ts), so the logic the
 * page draws with is the logic under test. TypeScript checks it through the JSDoc types.
 */

/** @typedef {{ key: string, type?: string, value: unknown }} KeyValue */
/** @typedef {{ refType: string, traceID?: string, spanID: string }} Reference */
/** @typedef {{ timestamp: number, fields: KeyValue[] }} SpanLog */
/**
 * One span as Jaeger's API answers it: times in microseconds since the epoch, the service in
 * `processes[processID]`.
 * @typedef {{
 *   traceID: string,
 *   spanID: string,
 *   operationName: string,
 *   references?: Reference[] | null,
 *   startTime: number,
 *   duration: number,
 *   tags?: KeyValue[] | null,
 *   logs?: SpanLog[] | null,
 *   processID: string,
 * }} JaegerSpan
 */
/** @typedef {{ serviceName: string, tags?: KeyValue[] | null }} JaegerProcess */
/** @typedef {{ traceID: string, spans: JaegerSpan[], processes: Record<string, JaegerProcess> }} JaegerTrace */

/**
 * What part of a task a span is, for its colour: Orca's request at the facade, Temporal's
 * workflow spans, its activity spans, a call to AWS, or anything else.
 * @typedef {'http' | 'workflow' | 'activity' | 'aws' | 'other'} SpanKind
 */
/** @typedef {{ name: string, offset: number, attributes: KeyValue[] }} SpanEvent */
/** @typedef {{ label: string, value: string }} Highlight */
/**
 * A span placed in the waterfall: `offset` is microseconds from the trace's start, `depth` its
 * distance from its root.
 * @typedef {{
 *   span: JaegerSpan,
 *   service: string,
 *   depth: number,
 *   offset: number,
 *   kind: SpanKind,
 *   error: boolean,
 *   events: SpanEvent[],
 *   highlights: Highlight[],
 *   children: SpanNode[],
 * }} SpanNode
 */
/**
 * @typedef {{
 *   traceID: string,
 *   start: number,
 *   duration: number,
 *   roots: SpanNode[],
 *   rows: SpanNode[],
 *   services: string[],
 *   errors: number,
 * }} TraceTree
 */

/** The event the AWS tracing middleware (activities/aws-tracing.ts) adds for each throttled attempt. */
export const THROTTLE_EVENT = 'aws.throttled';

/**
 * @param {JaegerSpan | JaegerProcess} span
 * @param {string} key
 * @returns {unknown} the tag's value, or undefined
 */
export function tagOf(span, key) {
  return (span.tags ?? []).find((t) => t.key === key)?.value;
}

const HTTP_METHOD = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/;

/**
 * Temporal's interceptors name their spans `<Verb>Workflow:<type>` and `<Verb>Activity:<name>`;
 * the AWS middleware marks its spans with `rpc.system=aws-api`.
 * @param {JaegerSpan} span
 * @returns {SpanKind}
 */
export function kindOf(span) {
  if (tagOf(span, 'rpc.system') === 'aws-api') return 'aws';
  if (/^[A-Za-z]+Activity:/.test(span.operationName)) return 'activity';
  if (/^[A-Za-z]+Workflow:/.test(span.operationName)) return 'workflow';
  if (tagOf(span, 'http.route') !== undefined || HTTP_METHOD.test(span.operationName)) return 'http';
  return 'other';
}

/**
 * OpenTelemetry's error status reaches Jaeger as `otel.status_code=ERROR` and `error=true`.
 * @param {JaegerSpan} span
 */
export function isError(span) {
  return tagOf(span, 'error') === true || tagOf(span, 'otel.status_code') === 'ERROR';
}

/**
 * A span's events (Jaeger's `logs`): OpenTelemetry's event name is the `event` field.
 * @param {JaegerSpan} span
 * @param {number} traceStart
 * @returns {SpanEvent[]}
 */
export function eventsOf(span, traceStart) {
  return (span.logs ?? []).map((log) => ({
    name: String(log.fields.find((f) => f.key === 'event')?.value ?? 'log'),
    offset: log.timestamp - traceStart,
    attributes: log.fields.filter((f) => f.key !== 'event'),
  }));
}

/**
 * The attributes worth seeing without opening a span: what an engineer paged for a slow or failed
 * deploy looks for first (which task, which AWS call, AWS's request id to quote to AWS support,
 * retries at both levels, throttling, the error). The rest shows when the span is opened.
 * @param {JaegerSpan} span
 * @returns {Highlight[]}
 */
export function highlightsOf(span) {
  /** @type {Highlight[]} */
  const out = [];
  /** @param {string} label @param {unknown} value */
  const add = (label, value) => {
    if (value !== undefined && value !== null && value !== '') out.push({ label, value: String(value) });
  };
  add('route', tagOf(span, 'http.route'));
  add('status', tagOf(span, 'http.response.status_code'));
  add('task', tagOf(span, 'temporalWorkflowId'));
  if (tagOf(span, 'rpc.system') === 'aws-api') {
    add('AWS', `${String(tagOf(span, 'rpc.service'))} ${String(tagOf(span, 'rpc.method'))}`);
    add('region', tagOf(span, 'cloud.region'));
    add('request id', tagOf(span, 'aws.request_id'));
    add('SDK attempts', tagOf(span, 'aws.sdk.attempts'));
  }
  add('activity attempt', tagOf(span, 'temporal.activity.attempt'));
  const throttles = (span.logs ?? []).filter((l) => l.fields.some((f) => f.key === 'event' && f.value === THROTTLE_EVENT)).length;
  if (throttles > 0) add('throttled', `${throttles}×`);
  add('AWS error', tagOf(span, 'aws.error.code'));
  if (isError(span)) add('error', tagOf(span, 'otel.status_description') ?? 'yes');
  return out;
}

/**
 * The span's parent within this trace: its CHILD_OF reference (FOLLOWS_FROM if that is all it
 * has). A parent that is not in the trace (Orca's span, which Bosun never sees) makes the span a
 * root.
 * @param {JaegerSpan} span
 * @param {Set<string>} ids
 */
function parentIdOf(span, ids) {
  const refs = (span.references ?? []).filter((r) => ids.has(r.spanID) && r.spanID !== span.spanID);
  return (refs.find((r) => r.refType === 'CHILD_OF') ?? refs[0])?.spanID;
}

/**
 * The trace as a tree, and its rows in waterfall order: depth first, siblings by start time.
 * @param {JaegerTrace} trace
 * @returns {TraceTree}
 */
export function buildTree(trace) {
  const spans = trace.spans;
  const start = spans.length ? Math.min(...spans.map((s) => s.startTime)) : 0;
  const end = spans.length ? Math.max(...spans.map((s) => s.startTime + s.duration)) : 0;
  const ids = new Set(spans.map((s) => s.spanID));
  /** @type {Map<string, SpanNode>} */
  const nodes = new Map();
  for (const span of spans) {
    nodes.set(span.spanID, {
      span,
      service: trace.processes[span.processID]?.serviceName ?? '',
      depth: 0,
      offset: span.startTime - start,
      kind: kindOf(span),
      error: isError(span),
      events: eventsOf(span, start),
      highlights: highlightsOf(span),
      children: [],
    });
  }
  /** @type {SpanNode[]} */
  const roots = [];
  for (const node of nodes.values()) {
    const parent = nodes.get(parentIdOf(node.span, ids) ?? '');
    (parent ? parent.children : roots).push(node);
  }
  /** @param {SpanNode} a @param {SpanNode} b */
  const byStart = (a, b) => a.span.startTime - b.span.startTime || a.span.operationName.localeCompare(b.span.operationName);
  /** @type {SpanNode[]} */
  const rows = [];
  const seen = new Set();
  /** @param {SpanNode[]} level @param {number} depth */
  const walk = (level, depth) => {
    for (const node of level.sort(byStart)) {
      // A malformed trace whose references make a cycle is drawn once, not forever.
      if (seen.has(node)) continue;
      seen.add(node);
      node.depth = depth;
      rows.push(node);
      walk(node.children, depth + 1);
    }
  };
  walk(roots, 0);
  // Spans only reachable through a cycle have no root: still show them, at the top level.
  const unreached = [...nodes.values()].filter((n) => !seen.has(n));
  roots.push(...unreached);
  walk(unreached, 0);
  const services = [...new Set(rows.map((r) => r.service).filter(Boolean))].sort();
  return { traceID: trace.traceID, start, duration: end - start, roots, rows, services, errors: rows.filter((r) => r.error).length };
}

/**
 * @typedef {{
 *   traceID: string,
 *   rootName: string,
 *   rootService: string,
 *   rootStatus: string,
 *   start: number,
 *   duration: number,
 *   spans: number,
 *   errors: number,
 *   services: string[],
 * }} TraceSummary
 */

/**
 * One line of the trace list. The root is the earliest span without a parent in the trace (the
 * facade's POST for a task); `rootStatus` is its HTTP status, if it has one (a POST the facade
 * refused with a 400 is a one-span trace with no error status: the status says what happened).
 * @param {JaegerTrace} trace
 * @returns {TraceSummary}
 */
export function summarize(trace) {
  const tree = buildTree(trace);
  const root = [...tree.roots].sort((a, b) => a.span.startTime - b.span.startTime)[0];
  return {
    traceID: trace.traceID,
    rootName: root?.span.operationName ?? '(no spans)',
    rootService: root?.service ?? '',
    rootStatus: root ? String(tagOf(root.span, 'http.response.status_code') ?? '') : '',
    start: tree.start,
    duration: tree.duration,
    spans: trace.spans.length,
    errors: tree.errors,
    services: tree.services,
  };
}

/**
 * The traces of several services' searches (a task's trace is in each service it crossed) once
 * each, newest first, at most `limit`. A trace found twice keeps the copy with more spans: each
 * search answers with the whole trace as the storage has it at that moment.
 * @param {JaegerTrace[]} traces
 * @param {number} limit
 * @returns {TraceSummary[]}
 */
export function newestFirst(traces, limit) {
  /** @type {Map<string, JaegerTrace>} */
  const byId = new Map();
  for (const t of traces) {
    const had = byId.get(t.traceID);
    if (!had || had.spans.length < t.spans.length) byId.set(t.traceID, t);
  }
  return [...byId.values()]
    .map(summarize)
    .sort((a, b) => b.start - a.start)
    .slice(0, limit);
}

/**
 * Microseconds as people read them: `850 µs`, `12.3 ms`, `4.10 s`, `2 min 05 s`.
 * @param {number} us
 */
export function formatDuration(us) {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 100_000 ? 1 : 0)} ms`;
  if (us < 60_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  const s = Math.round(us / 1_000_000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * A trace id as Jaeger's API takes it (hex, at most 32 digits), from what someone pasted: a bare
 * id or a whole `traceparent` (`00-<trace id>-<span id>-01`). Undefined when it is neither.
 * @param {string} text
 */
export function parseTraceId(text) {
  const s = text.trim().toLowerCase();
  const tp = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(s);
  if (tp) return tp[1];
  return /^[0-9a-f]{1,32}$/.test(s) ? s : undefined;
}

/**
 * Which page a path (relative to the viewer's base) is: `trace/<id>` is one trace, anything
 * else the list (Jaeger answers every unknown path with index.html).
 * @param {string} relativePath
 * @returns {{ page: 'trace', traceId: string } | { page: 'list' }}
 */
export function routeOf(relativePath) {
  const m = /^\/?trace\/([^/?#]+)/.exec(relativePath);
  const id = m?.[1] ? parseTraceId(decodeURIComponent(m[1])) : undefined;
  return id ? { page: 'trace', traceId: id } : { page: 'list' };
}
