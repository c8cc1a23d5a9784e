/**
 * Bosun's trace viewer: the page Jaeger's query service serves at its address (see index.html).
 * Two pages, chosen by the path: `/` lists recent traces, `/trace/<id>` draws one as a waterfall.
 * Both read Jaeger's query API on the same origin; the tree and the summaries come from
 * trace-model.js, which jest tests. Plain DOM and full page loads (links, GET forms): the address
 * bar always names what is shown, so a trace's URL can be pasted into a ticket or handed to
 * headless Chromium (`npm run trace -- <id> --png`).
 *
 * When a page has drawn, `<body data-state>` turns `ready` (or `error`) and `data-height` holds
 * its height: `npm run trace` and the end-to-end test wait for that marker.
 */
import { buildTree, formatDuration, newestFirst, parseTraceId, routeOf } from './trace-model.js';

const main = document.getElementById('main');
const base = new URL(document.baseURI);

/** A URL under the viewer's base (Jaeger may serve it under a base path). */
const here = (relative) => new URL(relative, base).toString();

/**
 * An element with attributes and children. Text always goes in as text nodes: span names and
 * attribute values come from whatever sent the spans, never as markup.
 */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** Jaeger's API answers `{ data, errors }`; a failure names the status and Jaeger's message. */
async function api(relative) {
  const res = await fetch(here(relative), { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || body.errors?.length) {
    const message = body.errors?.map((e) => e.msg).join('; ') || res.statusText;
    throw Object.assign(new Error(`${res.status} ${message}`), { status: res.status });
  }
  return body.data;
}

const when = (us) => new Date(us / 1000).toLocaleString(undefined, { hour12: false });

function done(state) {
  document.body.dataset.state = state;
  document.body.dataset.height = String(document.documentElement.scrollHeight);
}

function showProblem(title, err) {
  main.replaceChildren(el('h1', {}, title), el('p', { class: 'problem' }, err instanceof Error ? err.message : String(err)));
  done('error');
}

// ---- The list of recent traces ----

const LOOKBACKS = [
  ['15m', '15 minutes', 15 * 60],
  ['1h', '1 hour', 3600],
  ['6h', '6 hours', 6 * 3600],
  ['24h', '24 hours', 24 * 3600],
  ['2d', '2 days', 2 * 24 * 3600],
];

async function listPage() {
  const params = new URLSearchParams(location.search);
  const lookback = LOOKBACKS.find(([key]) => key === params.get('lookback')) ?? LOOKBACKS[1];
  const limit = Math.min(Math.max(Number(params.get('limit')) || 20, 1), 500);
  const chosen = params.get('service') ?? '';
  const services = ((await api('api/services')) ?? []).slice().sort();
  // Jaeger searches one service at a time; "all services" asks each and merges, since a task's
  // trace crosses the facade and the worker when they run as separate processes.
  const searched = chosen ? [chosen] : services;
  // Jaeger's trace search takes its time window as start/end in microseconds (the UI's lookback
  // is turned into those client-side; the API ignores a `lookback` parameter).
  const end = Date.now() * 1000;
  const start = end - lookback[2] * 1_000_000;
  const answers = await Promise.all(
    searched.map((s) =>
      api(`api/traces?${new URLSearchParams({ service: s, limit: String(limit), start: String(start), end: String(end) })}`),
    ),
  );
  const traces = newestFirst(
    answers.flatMap((a) => a ?? []),
    limit,
  );

  const filters = el(
    'form',
    { class: 'filters', method: 'get', action: here('') },
    el(
      'label',
      {},
      'Service',
      el(
        'select',
        { name: 'service' },
        el('option', { value: '' }, 'all services'),
        ...services.map((s) => el('option', { value: s, selected: s === chosen }, s)),
      ),
    ),
    el(
      'label',
      {},
      'Started in the last',
      el(
        'select',
        { name: 'lookback' },
        ...LOOKBACKS.map(([key, label]) => el('option', { value: key, selected: key === lookback[0] }, label)),
      ),
    ),
    el(
      'label',
      {},
      'At most',
      el('select', { name: 'limit' }, ...[20, 50, 100, 500].map((n) => el('option', { value: n, selected: n === limit }, `${n} traces`))),
    ),
    el('button', {}, 'Search'),
  );

  const body = traces.length
    ? el(
        'table',
        { class: 'traces' },
        el(
          'thead',
          {},
          el('tr', {}, ...['Started', 'Root span', 'Services', 'Spans', 'Duration', 'Errors', 'Trace id'].map((h) => el('th', {}, h))),
        ),
        el(
          'tbody',
          {},
          ...traces.map((t) =>
            el(
              'tr',
              { 'data-trace-id': t.traceID },
              el('td', {}, when(t.start)),
              el(
                'td',
                {},
                el('a', { href: here(`trace/${t.traceID}`) }, t.rootName),
                t.rootStatus ? el('span', { class: Number(t.rootStatus) >= 400 ? 'errors' : undefined }, ` → ${t.rootStatus}`) : null,
                el('span', { class: 'svc' }, t.rootService),
              ),
              el('td', {}, t.services.join(', ')),
              el('td', { class: 'num' }, t.spans),
              el('td', { class: 'num' }, formatDuration(t.duration)),
              el('td', { class: t.errors ? 'num errors' : 'num' }, t.errors || ''),
              el('td', { class: 'mono' }, el('a', { href: here(`trace/${t.traceID}`) }, t.traceID)),
            ),
          ),
        ),
      )
    : el(
        'p',
        { class: 'sub' },
        services.length
          ? `No traces ${chosen ? `of ${chosen} ` : ''}started in the last ${lookback[1]}.`
          : 'No service has sent a span yet. Post a task to the facade (npm start -- --jaeger exports there); its trace appears here.',
      );

  main.replaceChildren(
    el('h1', {}, 'Recent traces'),
    el('p', { class: 'sub' }, `${traces.length} trace${traces.length === 1 ? '' : 's'}, newest first, from Jaeger's query API.`),
    filters,
    body,
  );
  document.title = 'Bosun traces';
  done('ready');
}

// ---- One trace ----

const KIND_LABELS = [
  ['http', "facade (Orca's request)"],
  ['workflow', 'workflow'],
  ['activity', 'activity'],
  ['aws', 'AWS call'],
  ['other', 'other'],
];

/** Everything a span carries, shown when its row is opened. */
function detailsOf(node, trace) {
  const s = node.span;
  const kv = (pairs) => el('table', {}, ...pairs.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'mono' }, v))));
  const parent = (s.references ?? []).find((r) => r.refType === 'CHILD_OF');
  const process = trace.processes[s.processID];
  return el(
    'div',
    { class: 'details', onclick: (e) => e.stopPropagation() },
    kv([
      ['span id', s.spanID],
      ['parent span id', parent?.spanID ?? '(none)'],
      ['service', node.service],
      ['starts at', `+${formatDuration(node.offset)}`],
      ['duration', formatDuration(s.duration)],
    ]),
    el('h3', {}, 'Attributes'),
    kv((s.tags ?? []).map((t) => [t.key, JSON.stringify(t.value)])),
    node.events.length ? el('h3', {}, 'Events') : null,
    node.events.length
      ? kv(
          node.events.map((e) => [
            `+${formatDuration(e.offset)} ${e.name}`,
            e.attributes.map((a) => `${a.key}=${JSON.stringify(a.value)}`).join('  '),
          ]),
        )
      : null,
    process?.tags?.length ? el('h3', {}, 'Process') : null,
    process?.tags?.length ? kv(process.tags.map((t) => [t.key, JSON.stringify(t.value)])) : null,
  );
}

function tracePage(traceId, data) {
  const trace = data[0];
  const tree = buildTree(trace);
  const total = tree.duration || 1;
  const pct = (us) => `${(us / total) * 100}%`;
  // The spans opened: `#span=<id>,<id>` in the address, so a link can point at the span that
  // matters (the throttled call, the failed one) already open.
  const open = new Set();
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('span')?.split(',') ?? [];
  for (const node of tree.rows) if (fromHash.includes(node.span.spanID)) open.add(node);
  const rememberOpen = () => {
    const ids = tree.rows.filter((n) => open.has(n)).map((n) => n.span.spanID);
    history.replaceState(null, '', ids.length ? `#span=${ids.join(',')}` : location.pathname + location.search);
  };
  const collapsed = new Set();
  const root = tree.roots[0];

  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const head = el(
    'div',
    { class: 'row head' },
    el('div', { class: 'name' }, 'Span (click one for its attributes and events)'),
    el(
      'div',
      { class: 'timeline' },
      ...ticks.slice(0, -1).map((f) => el('span', { class: 'tick', style: { left: `${f * 100}%` } }, formatDuration(total * f))),
    ),
  );
  const rows = el('div', { id: 'spans' });

  function draw() {
    const hidden = new Set();
    const out = [];
    for (const node of tree.rows) {
      // A collapsed span hides its descendants (the rows are in depth-first order, parents first).
      if (hidden.has(node) || collapsed.has(node)) for (const c of node.children) hidden.add(c);
      if (hidden.has(node)) continue;
      const s = node.span;
      const left = (node.offset / total) * 100;
      const width = (s.duration / total) * 100;
      // The duration sits right of its bar; a bar reaching the right edge has it on its left, or
      // inside it when the bar also starts near the left edge.
      const labelAt =
        left + width <= 80
          ? { left: `calc(${left + width}% + 4px)` }
          : left >= 12
            ? { right: `calc(${100 - left}% + 4px)` }
            : { right: `calc(${100 - left - width}% + 4px)`, color: '#fff' };
      const toggle = node.children.length
        ? el(
            'span',
            {
              class: 'toggle',
              title: 'hide or show its children',
              onclick: (e) => {
                e.stopPropagation();
                if (collapsed.has(node)) collapsed.delete(node);
                else collapsed.add(node);
                draw();
              },
            },
            collapsed.has(node) ? '▸' : '▾',
          )
        : el('span', { class: 'toggle' });
      const row = el(
        'div',
        {
          class: `row span${open.has(node) ? ' open' : ''}`,
          'data-span-id': s.spanID,
          'data-kind': node.kind,
          onclick: () => {
            if (open.has(node)) open.delete(node);
            else open.add(node);
            rememberOpen();
            draw();
          },
        },
        el(
          'div',
          { class: 'name', style: { paddingLeft: `${6 + node.depth * 16}px` } },
          toggle,
          el('span', { class: 'op' }, s.operationName),
          el('span', { class: 'svc' }, node.service),
          node.highlights.length
            ? el(
                'div',
                { class: 'chips', style: { paddingLeft: '14px' } },
                ...node.highlights.map((h) =>
                  el('span', { class: /error|throttled/.test(h.label) ? 'bad' : undefined }, el('b', {}, `${h.label} `), h.value),
                ),
              )
            : null,
        ),
        el(
          'div',
          { class: 'timeline' },
          ...ticks.slice(1, -1).map((f) => el('span', { class: 'tick', style: { left: `${f * 100}%` } })),
          el('div', { class: `bar k-${node.kind}${node.error ? ' err' : ''}`, style: { left: `${left}%`, width: `${width}%` } }),
          el('span', { class: 'dur', style: labelAt }, formatDuration(s.duration)),
        ),
        open.has(node) ? detailsOf(node, trace) : null,
      );
      out.push(row);
    }
    rows.replaceChildren(...out);
  }
  draw();

  main.replaceChildren(
    el(
      'p',
      { class: 'sub' },
      el('a', { href: here('') }, '← recent traces'),
      ' · ',
      el('a', { href: here(`api/traces/${traceId}`) }, 'JSON'),
    ),
    el('h1', {}, root ? `${root.span.operationName}` : `Trace ${traceId}`, root ? el('span', { class: 'svc' }, ` ${root.service}`) : null),
    el(
      'p',
      { class: 'sub' },
      el('span', { class: 'mono' }, trace.traceID),
      ` · started ${when(tree.start)} · ${formatDuration(tree.duration)} · ${tree.rows.length} spans · ${tree.services.join(', ')}`,
      tree.errors ? el('span', { class: 'errors' }, ` · ${tree.errors} with errors`) : '',
    ),
    el(
      'div',
      { class: 'legend' },
      ...KIND_LABELS.filter(([k]) => tree.rows.some((r) => r.kind === k)).map(([k, label]) =>
        el('span', {}, el('i', { class: `k-${k}` }), label),
      ),
    ),
    head,
    rows,
  );
  document.title = `${root?.span.operationName ?? 'trace'} · ${traceId.slice(0, 8)} · Bosun traces`;
  done('ready');
}

// ---- Start ----

document.getElementById('find').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = e.target.elements.trace;
  const id = parseTraceId(input.value);
  if (id) location.assign(here(`trace/${id}`));
  else {
    input.setCustomValidity('a trace id is up to 32 hex digits, or paste a whole traceparent');
    input.reportValidity();
  }
});
document.getElementById('find').elements.trace.addEventListener('input', (e) => e.target.setCustomValidity(''));

const version = window.JAEGER_VERSION?.gitVersion;
if (version) document.getElementById('served-by').textContent = `served by Jaeger ${version}'s query service`;

const route = routeOf(location.pathname.slice(base.pathname.length - 1));
if (route.page === 'trace') {
  document.getElementById('find').elements.trace.value = route.traceId;
  api(`api/traces/${route.traceId}`).then(
    (data) => tracePage(route.traceId, data),
    (err) => showProblem(err.status === 404 ? `No trace ${route.traceId} in Jaeger` : `Trace ${route.traceId}`, err),
  );
} else {
  listPage().catch((err) => showProblem("Jaeger's query API did not answer", err));
}
