/**
 * The committed alerting rules pass promtool's checks and their own unit tests
 * (infra/prometheus/alerts.test.yml), and the Grafana dashboard plots only what the rules
 * record or what the end-to-end test queries against a real Prometheus.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALERTS_FILE, ALERTS_TEST_FILE, dashboardQueries, prometheusBinaries, recordedSignals } from './support/prometheus';

const bins = prometheusBinaries();
const withPromtool = 'missing' in bins ? test.skip : test;
if ('missing' in bins) process.stderr.write(`skipping the promtool tests: ${bins.missing}\n`);

function promtool(...args: string[]): string {
  if ('missing' in bins) throw new Error(bins.missing);
  try {
    return execFileSync(bins.promtool, args, { cwd: path.dirname(ALERTS_FILE), encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

withPromtool('promtool check rules accepts alerts.yml', () => {
  expect(promtool('check', 'rules', ALERTS_FILE)).toMatch(/SUCCESS: \d+ rules found/);
});

withPromtool("promtool test rules passes the alerts' unit tests", () => {
  expect(promtool('test', 'rules', ALERTS_TEST_FILE)).toContain('SUCCESS');
});

test('each alert the rules define has a unit test', () => {
  const text = readFileSync(ALERTS_FILE, 'utf8');
  const tests = readFileSync(ALERTS_TEST_FILE, 'utf8');
  const alerts = [...text.matchAll(/^\s*- alert: (\S+)\s*$/gm)].map((m) => m[1]!);
  expect(alerts).toEqual(
    expect.arrayContaining([
      'BosunTaskFailureRateHigh',
      'BosunWorkflowTasksStuck',
      'BosunAwsThrottling',
      'BosunNoWorkerPolling',
      'BosunFlagFileDegraded',
    ]),
  );
  for (const alert of alerts) expect(tests).toContain(`alertname: ${alert}`);
});

// Every panel's query runs against a real Prometheus in test/prometheus.test.ts: its list
// (testedQueries) is built from the dashboard itself, so no panel can be left out of it.
test('the dashboard plots every signal the alerts use', () => {
  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThanOrEqual(10);
  // Every signal the alerts use is on the dashboard too, so a page has a panel to look at.
  const plotted = new Set(queries.map((q) => q.expr));
  for (const signal of recordedSignals().filter((s) => !/increase30m$/.test(s)))
    expect({ signal, plotted: plotted.has(signal) }).toEqual({ signal, plotted: true });
});
