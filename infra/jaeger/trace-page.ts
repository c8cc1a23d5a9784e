/**
 * `npm run trace -- <trace id> [--jaeger http://127.0.0.1:16686] [--out file.html] [--png file.png]`:
 * one trace from Jaeger's query API as a waterfall page (the Jaeger UI's own JavaScript is not in
 * the Go module Bosun builds Jaeger from; see infra/jaeger/jaeger.ts). With `--png`, headless
 * Chromium (Debian's `chromium`) takes a picture of the page, as docs/img/trace.png was made.
 * The trace id is the middle part of the `traceparent` the facade answers a POST with.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const tagSchema = z.object({ key: z.string(), value: z.unknown() });
const jaegerTraceSchema = z.object({
  data: z
    .array(
      z.object({
        traceID: z.string(),
        spans: z.array(
          z.object({
            spanID: z.string(),
            operationName: z.string(),
            references: z.array(z.object({ refType: z.string(), spanID: z.string() })).default([]),
            startTime: z.number(),
            duration: z.number(),
            processID: z.string(),
            tags: z.array(tagSchema).default([]),
            logs: z.array(z.object({ timestamp: z.number(), fields: z.array(tagSchema) })).default([]),
          }),
        ),
        processes: z.record(z.string(), z.object({ serviceName: z.string() })),
      }),
    )
    .min(1),
});
export type JaegerTrace = z.infer<typeof jaegerTraceSchema>['data'][number];

/** The attributes worth a glance in the waterfall (the rest are in Jaeger's API). */
const SHOWN = [
  'http.route',
  'http.response.status_code',
  'temporalWorkflowId',
  'temporal.activity.attempt',
  'rpc.service',
  'aws.request_id',
  'aws.sdk.attempts',
  'aws.error.code',
];

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The trace as a self-contained HTML page: spans in tree order, each bar placed on the trace's time axis. */
export function traceHtml(trace: JaegerTrace): string {
  const spans = trace.spans;
  const t0 = Math.min(...spans.map((s) => s.startTime));
  const total = Math.max(...spans.map((s) => s.startTime + s.duration)) - t0 || 1;
  const ids = new Set(spans.map((s) => s.spanID));
  const parentOf = (s: JaegerTrace['spans'][number]) => s.references.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID;
  const children = new Map<string | undefined, JaegerTrace['spans']>();
  for (const s of spans) children.set(parentOf(s), [...(children.get(parentOf(s)) ?? []), s]);
  const rows: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of [...(children.get(parent) ?? [])].sort((a, b) => a.startTime - b.startTime)) {
      const service = trace.processes[s.processID]?.serviceName ?? '';
      const tags = s.tags.filter((t) => SHOWN.includes(t.key)).map((t) => `${t.key}=${String(t.value)}`);
      const events = s.logs.flatMap((l) => l.fields.filter((f) => f.key === 'event').map((f) => String(f.value)));
      const error =
        s.tags.some((t) => t.key === 'error' && t.value === true) ||
        s.tags.some((t) => t.key === 'otel.status_code' && t.value === 'ERROR');
      const kind = s.operationName.startsWith('POST')
        ? 'http'
        : /^(Start|Run)Workflow/.test(s.operationName)
          ? 'wf'
          : /Activity:/.test(s.operationName)
            ? 'act'
            : 'aws';
      rows.push(
        `<tr><td class="name" style="padding-left:${8 + depth * 16}px">${esc(s.operationName)}<span class="svc">${esc(service)}</span>` +
          `<div class="tags">${esc([...tags, ...events.map((e) => `event: ${e}`)].join('  '))}</div></td>` +
          `<td class="bar"><div class="b ${kind}${error ? ' err' : ''}" style="left:${((s.startTime - t0) / total) * 100}%;width:${Math.max((s.duration / total) * 100, 0.3)}%"></div></td>` +
          `<td class="ms">${(s.duration / 1000).toFixed(1)} ms</td></tr>`,
      );
      walk(s.spanID, depth + 1);
    }
  };
  walk(undefined, 0);
  return `<!doctype html><html><head><meta charset="utf-8"><title>trace ${trace.traceID}</title><style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}h1{font-size:16px;margin:0 0 4px}p{margin:0 0 12px;color:#666}
table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #eee;padding:3px 6px;vertical-align:top}
td.name{width:46%;white-space:nowrap}.svc{color:#888;font-size:11px;margin-left:8px}.tags{color:#777;font-size:11px;white-space:normal}
td.bar{position:relative;width:44%}.b{position:absolute;top:6px;height:12px;border-radius:2px}
.http{background:#6a5acd}.wf{background:#2e8b57}.act{background:#daa520}.aws{background:#d2691e}.err{outline:2px solid #c00}
td.ms{text-align:right;white-space:nowrap;color:#444}</style></head><body>
<h1>Trace ${esc(trace.traceID)}</h1><p>${spans.length} spans, ${(total / 1000).toFixed(1)} ms, from Jaeger's query API</p>
<table>${rows.join('\n')}</table></body></html>\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const traceId = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!traceId || !/^[0-9a-f]{32}$/.test(traceId))
    throw new Error('usage: npm run trace -- <32-hex trace id> [--jaeger URL] [--out file.html] [--png file.png]');
  const jaeger = opt('jaeger') ?? 'http://127.0.0.1:16686';
  const res = await fetch(`${jaeger}/api/traces/${traceId}`);
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for trace ${traceId}: ${(await res.text()).slice(0, 300)}`);
  const trace = jaegerTraceSchema.parse(await res.json()).data[0]!;
  const out = path.resolve(opt('out') ?? path.join('.state', 'traces', `${traceId}.html`));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, traceHtml(trace));
  process.stdout.write(`${trace.spans.length} spans: file://${out}\n`);
  const png = opt('png');
  if (png) {
    const height = 140 + trace.spans.length * 44;
    execFileSync(
      'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', `--window-size=1400,${height}`, `--screenshot=${path.resolve(png)}`, `file://${out}`],
      { stdio: 'ignore' },
    );
    process.stdout.write(`picture: ${path.resolve(png)}\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bosun trace: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
