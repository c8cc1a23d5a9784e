/**
 * Debian's Prometheus for tests: infra/prometheus/install.sh puts `prometheus` and `promtool`
 * into ~/.cache/bosun/prometheus (infra/setup.sh runs it too). Where it cannot (no apt-get, no
 * package lists and no root), the tests that need it are skipped with the reason, except in
 * CI, where it must be there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const ALERTS_FILE = path.join(ROOT, 'infra', 'prometheus', 'alerts.yml');
export const ALERTS_TEST_FILE = path.join(ROOT, 'infra', 'prometheus', 'alerts.test.yml');
export const DASHBOARD_FILE = path.join(ROOT, 'infra', 'grafana', 'bosun.json');

export type PrometheusBinaries = { readonly prometheus: string; readonly promtool: string } | { readonly missing: string };

export function prometheusBinaries(): PrometheusBinaries {
  try {
    const dir = execFileSync('bash', [path.join(ROOT, 'infra', 'prometheus', 'install.sh'), '--quiet'], {
      encoding: 'utf8',
      timeout: 300_000,
    })
      .trim()
      .split('\n')
      .pop()!;
    return { prometheus: path.join(dir, 'prometheus'), promtool: path.join(dir, 'promtool') };
  } catch (err) {
    const reason = `Prometheus is not installed and infra/prometheus/install.sh could not fetch it: ${(err as { stderr?: string }).stderr ?? String(err)}`;
    if (process.env.CI) throw new Error(reason);
    return { missing: reason };
  }
}

/** The names of alerts.yml's recording rules (the signals the alerts and the dashboard use). */
export function recordedSignals(): string[] {
  return [...readFileSync(ALERTS_FILE, 'utf8').matchAll(/^\s*- record: (\S+)\s*$/gm)].map((m) => m[1]!);
}

/** Every panel's expressions in the Grafana dashboard. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: { title: string; targets?: { expr?: string }[] }[] };
  return dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));
}

/**
 * What the end-to-end test (test/prometheus.test.ts) queries against a real Prometheus: each
 * recorded signal by name (so each recording rule's expression and its inputs work) and each
 * dashboard query that is not a signal.
 */
export function testedQueries(): string[] {
  return [...new Set([...recordedSignals(), ...dashboardQueries().map((q) => q.expr)])];
}
