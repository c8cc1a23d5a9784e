/**
 * `npm run trace -- <trace id> [--jaeger http://127.0.0.1:16686] [--png file.png]`: the address of
 * one trace in Bosun's trace viewer, which Jaeger's query service serves (infra/jaeger/ui; see
 * infra/jaeger/jaeger.ts). With `--png`, headless Chromium (Debian's `chromium`) loads that
 * page, waits until it has drawn, and takes a picture of all of it, as docs/img/trace.png was
 * made: the picture is the page a browser shows, drawn by the same code. The trace id is the
 * middle part of the `traceparent` the facade answers a POST with.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CHROMIUM = process.env.BOSUN_CHROMIUM ?? 'chromium';
/** The picture's width: the waterfall's name and timeline columns both readable. */
const WIDTH = 1400;

/**
 * Headless Chromium on `url` with `args`, in a profile of its own (so runs side by side do not
 * share one). `--virtual-time-budget` lets the page's scripts and its fetches from Jaeger finish
 * before Chromium dumps or shoots the page.
 */
async function chromium(url: string, args: string[]): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'bosun-chromium-'));
  try {
    const { stdout } = await run(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        ...args,
        url,
      ],
      { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface RenderedPage {
  /** The DOM once the viewer drew it. */
  readonly html: string;
  /** `<body data-state>`: `ready`, `error`, or `loading` when it never finished. */
  readonly state: string;
  /** The page's full height in pixels (`<body data-height>`). */
  readonly height: number;
}

/** The page at `url` as the viewer drew it in headless Chromium (`--dump-dom`). */
export async function renderPage(url: string, height = 900): Promise<RenderedPage> {
  const html = await chromium(url, [`--window-size=${WIDTH},${height}`, '--dump-dom']);
  const body = /<body\b[^>]*>/.exec(html)?.[0] ?? '';
  return {
    html,
    state: /data-state="([^"]*)"/.exec(body)?.[1] ?? 'missing',
    height: Number(/data-height="(\d+)"/.exec(body)?.[1] ?? height),
  };
}

/** A picture of the whole page at `url`: drawn once to learn its height, then shot at that height. */
export async function screenshotPage(url: string, file: string): Promise<RenderedPage> {
  const page = await renderPage(url, 600);
  if (page.state !== 'ready') throw new Error(`the viewer did not draw ${url} (state ${page.state})`);
  await chromium(url, [`--window-size=${WIDTH},${page.height}`, `--screenshot=${path.resolve(file)}`]);
  return page;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const traceId = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!traceId || !/^[0-9a-f]{32}$/.test(traceId))
    throw new Error('usage: npm run trace -- <32-hex trace id> [--jaeger URL] [--png file.png]');
  const jaeger = (opt('jaeger') ?? 'http://127.0.0.1:16686').replace(/\/+$/, '');
  // Ask the API first: a wrong id or a Jaeger that is not running is said here, not in a picture.
  const res = await fetch(`${jaeger}/api/traces/${traceId}`);
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for trace ${traceId}: ${(await res.text()).slice(0, 300)}`);
  const { data } = (await res.json()) as { data: { spans: unknown[] }[] };
  const url = `${jaeger}/trace/${traceId}`;
  process.stdout.write(`${data[0]?.spans.length ?? 0} spans: ${url}\n`);
  const png = opt('png');
  if (png) {
    await screenshotPage(url, png);
    process.stdout.write(`picture: ${path.resolve(png)}\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bosun trace: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
