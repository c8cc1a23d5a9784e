import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, InMemoryProvider, ProviderEvents } from '@openfeature/server-sdk';
import type { EvaluationContext, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { Registry } from 'prom-client';
import { createLogger, silentLogger } from '../../runtime';
import { emptyDocument, excludeAccount, excludeOperation, formatFlagDocument, onboard, setKillSwitch, setRollout } from './flag-document';
import type { FlagDocument } from './flag-schema';
import { FlagFileProvider } from './file-provider';
import { FlagFileError } from './flag-store';
import type { Router, RoutingContext, RoutingDecision } from './router';
import { createRouter } from './router';

const ctx = (application: string | undefined, extra: Partial<RoutingContext> = {}): RoutingContext => ({
  application,
  account: 'test',
  region: 'us-east-1',
  cloudProvider: 'aws',
  operation: 'resizeServerGroup',
  user: 'orca@example.com',
  ...extra,
});

let dir: string;
let file: string;
const routers: Router[] = [];

/** The CLI's way: a temp file in the same directory renamed over the flag file. */
function writeByRename(doc: FlagDocument | string): void {
  const temp = path.join(dir, `.routing.json.${Math.random().toString(16).slice(2)}.tmp`);
  writeFileSync(temp, typeof doc === 'string' ? doc : formatFlagDocument(doc));
  renameSync(temp, file);
}

/** An editor's way: truncate and write in place. */
function overwrite(doc: FlagDocument | string): void {
  writeFileSync(file, typeof doc === 'string' ? doc : formatFlagDocument(doc));
}

async function start(options: Partial<Parameters<typeof createRouter>[0]> = {}): Promise<Router> {
  const router = await createRouter({ flagFile: file, logger: silentLogger, ...options });
  routers.push(router);
  return router;
}

/** Polls decide() until `done` holds; returns the decision and how long it took. */
async function waitFor(router: Router, c: RoutingContext, done: (d: RoutingDecision) => boolean, timeoutMs = 1_000) {
  const started = performance.now();
  for (;;) {
    const decision = await router.decide(c);
    const ms = performance.now() - started;
    if (done(decision)) return { decision, ms };
    if (ms > timeoutMs) throw new Error(`no change within ${timeoutMs} ms; last decision ${JSON.stringify(decision)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-routing-'));
  file = path.join(dir, 'routing.json');
});

afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('router over a flag file', () => {
  test('an onboarded application goes to Temporal with rule allowlisted; others to legacy with rule off', async () => {
    writeByRename(onboard(onboard(onboard(emptyDocument(), 'myapp'), 'b'), 'c'));
    const router = await start();
    await expect(router.decide(ctx('myapp'))).resolves.toEqual({
      route: 'temporal',
      rule: 'allowlisted',
      reason: 'application myapp is in the allowlist of 3 applications',
      flagState: 'READY',
    });
    await expect(router.decide(ctx('other'))).resolves.toEqual({
      route: 'legacy',
      rule: 'off',
      reason: 'application other is not in the allowlist of 3 applications and no rollout is set: legacy',
      flagState: 'READY',
    });
  });

  test('a request without an application goes to legacy with rule no-application', async () => {
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const router = await start();
    await expect(router.decide(ctx(undefined))).resolves.toMatchObject({ route: 'legacy', rule: 'no-application' });
    await expect(router.decide(ctx('  '))).resolves.toMatchObject({ route: 'legacy', rule: 'no-application' });
  });

  test('an edit by temp file + rename, and a plain overwrite, are in force within 1 s', async () => {
    writeByRename(emptyDocument());
    const router = await start();
    await expect(router.decide(ctx('myapp'))).resolves.toMatchObject({ route: 'legacy' });

    writeByRename(onboard(emptyDocument(), 'myapp'));
    const renamed = await waitFor(router, ctx('myapp'), (d) => d.route === 'temporal');
    expect(renamed.decision.rule).toBe('allowlisted');

    overwrite(emptyDocument());
    const overwritten = await waitFor(router, ctx('myapp'), (d) => d.route === 'legacy');
    expect(overwritten.decision.rule).toBe('off');

    console.log(`reload latency: rename ${renamed.ms.toFixed(0)} ms, overwrite ${overwritten.ms.toFixed(0)} ms`);
    expect(renamed.ms).toBeLessThan(1_000);
    expect(overwritten.ms).toBeLessThan(1_000);
    expect(router.status()).toMatchObject({ state: 'READY', reloads: 2, reloadErrors: 0 });
  });

  test('a broken edit keeps the last good rules and reports STALE with the problem, logged once; fixing it recovers', async () => {
    const logs: { level: string; msg: string; problems?: string[] }[] = [];
    const logger = createLogger('debug', {}, (line) => logs.push(JSON.parse(line) as (typeof logs)[number]));
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const router = await start({ logger });

    const typo = formatFlagDocument(onboard(emptyDocument(), 'myapp')).replace(
      '{ "in": [{ "var": "account" }',
      '{ "inn": [{ "var": "account" }',
    );
    writeByRename(typo);
    const stale = await waitFor(router, ctx('myapp'), (d) => d.flagState === 'STALE');
    expect(stale.decision).toMatchObject({ route: 'temporal', rule: 'allowlisted' });
    expect(router.status()).toMatchObject({
      state: 'STALE',
      lastError: "flags.temporal-routing.targeting.if[0]: unknown operator 'inn' (did you mean 'in'?)",
      reloadErrors: 1,
    });

    // The same problem in a second broken version: counted again, but not logged again.
    writeByRename(`${typo}\n`);
    await waitFor(router, ctx('myapp'), () => router.status().reloadErrors === 2);
    const warnings = logs.filter((l) => l.level === 'warn' && l.msg.startsWith('flag file refused'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.problems).toEqual(["flags.temporal-routing.targeting.if[0]: unknown operator 'inn' (did you mean 'in'?)"]);

    writeByRename(onboard(emptyDocument(), 'other'));
    const fixed = await waitFor(router, ctx('myapp'), (d) => d.flagState === 'READY');
    expect(fixed.decision).toMatchObject({ route: 'legacy', rule: 'off' });
    expect(router.status()).toMatchObject({ state: 'READY', lastError: undefined });
  });

  test('a deleted file keeps the last good rules (STALE) until it is back', async () => {
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const router = await start();
    rmSync(file);
    const stale = await waitFor(router, ctx('myapp'), (d) => d.flagState === 'STALE');
    expect(stale.decision).toMatchObject({ route: 'temporal', rule: 'allowlisted' });
    expect(router.status().lastError).toBe('the file does not exist');
    writeByRename(emptyDocument());
    await waitFor(router, ctx('myapp'), (d) => d.flagState === 'READY' && d.route === 'legacy');
  });

  test('a missing file at start fails start-up with an error naming the file and the problem', async () => {
    const failure = start();
    await expect(failure).rejects.toThrow(FlagFileError);
    await expect(failure).rejects.toThrow(`${file} is not a valid flag file (1 problem):\n  the file does not exist`);
  });

  test('a broken file at start fails start-up with the problem and its path', async () => {
    writeFileSync(file, '{"flags": {"temporal-routing": {"state": "ENABLED", "variants": {"off": false}, "defaultVariant": "of"}}}');
    await expect(start()).rejects.toThrow("flags.temporal-routing.defaultVariant: 'of' is not one of the 1 variants (off)");
  });

  test("with onInvalidAtStart 'all-legacy', a missing file routes everything to legacy, and creating it recovers", async () => {
    const router = await start({ onInvalidAtStart: 'all-legacy' });
    await expect(router.decide(ctx('myapp'))).resolves.toEqual({
      route: 'legacy',
      rule: 'evaluation-error',
      reason: `flag file ${file} has no valid rules yet (the file does not exist): everything goes to legacy until it is fixed`,
      flagState: 'ERROR',
    });
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const recovered = await waitFor(router, ctx('myapp'), (d) => d.route === 'temporal');
    expect(recovered.decision).toMatchObject({ rule: 'allowlisted', flagState: 'READY' });
    expect(router.status()).toMatchObject({ state: 'READY', reloads: 1 });
  });

  test('the kill switch beats the allowlist', async () => {
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const router = await start();
    writeByRename(setKillSwitch(onboard(emptyDocument(), 'myapp'), true));
    const { decision } = await waitFor(router, ctx('myapp'), (d) => d.route === 'legacy');
    expect(decision).toEqual({
      route: 'legacy',
      rule: 'kill-switch',
      reason: 'kill switch is on: everything goes to legacy',
      flagState: 'READY',
    });
  });

  test('an excluded account and an excluded operation beat the allowlist', async () => {
    writeByRename(excludeOperation(excludeAccount(onboard(emptyDocument(), 'myapp'), 'prod-legacy'), 'destroyServerGroup'));
    const router = await start();
    await expect(router.decide(ctx('myapp', { account: 'prod-legacy' }))).resolves.toEqual({
      route: 'legacy',
      rule: 'legacy-account-excluded',
      reason: 'account prod-legacy is excluded (1 of 1 excluded account): legacy',
      flagState: 'READY',
    });
    await expect(router.decide(ctx('myapp', { operation: 'destroyServerGroup' }))).resolves.toMatchObject({
      route: 'legacy',
      rule: 'legacy-operation-excluded',
    });
    await expect(router.decide(ctx('myapp'))).resolves.toMatchObject({ route: 'temporal', rule: 'allowlisted' });
  });

  test('a 20% rollout puts about 20% of 2,000 applications on Temporal, stable per application', async () => {
    writeByRename(setRollout(emptyDocument(), 20));
    const router = await start();
    const apps = Array.from({ length: 2_000 }, (_, i) => `app${i}`);
    const first = await Promise.all(apps.map((a) => router.decide(ctx(a))));
    const onTemporal = first.filter((d) => d.route === 'temporal').length;
    console.log(
      `rollout 20%: ${onTemporal} of ${apps.length} applications on Temporal (${((onTemporal / apps.length) * 100).toFixed(1)}%)`,
    );
    expect(onTemporal / apps.length).toBeGreaterThanOrEqual(0.15);
    expect(onTemporal / apps.length).toBeLessThanOrEqual(0.25);
    expect(new Set(first.map((d) => d.rule))).toEqual(new Set(['rollout-on', 'rollout-off']));
    expect(first.find((d) => d.rule === 'rollout-on')!.reason).toMatch(
      /is not in the allowlist of 0 applications but falls in the 20% rollout: Temporal$/,
    );

    // Stable: the same answers again, and from a second router on the same file.
    const other = await start();
    const again = await Promise.all(apps.map((a) => other.decide(ctx(a, { account: 'prod', operation: 'deploy' }))));
    expect(again.map((d) => d.route)).toEqual(first.map((d) => d.route));
  });

  test('routers on different files do not affect each other (each has its own OpenFeature domain)', async () => {
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const a = await start();
    const otherFile = path.join(dir, 'other.json');
    writeFileSync(otherFile, formatFlagDocument(emptyDocument()));
    const b = await start({ flagFile: otherFile });
    await expect(a.decide(ctx('myapp'))).resolves.toMatchObject({ route: 'temporal' });
    await expect(b.decide(ctx('myapp'))).resolves.toMatchObject({ route: 'legacy' });
  });

  test('decisions, reloads and state appear in the registry', async () => {
    const registry = new Registry();
    writeByRename(onboard(emptyDocument(), 'myapp'));
    const router = await start({ registry });
    await router.decide(ctx('myapp'));
    await router.decide(ctx('myapp'));
    await router.decide(ctx('other'));
    writeByRename('{ not json');
    await waitFor(router, ctx('myapp'), (d) => d.flagState === 'STALE');
    writeByRename(emptyDocument());
    await waitFor(router, ctx('myapp'), (d) => d.flagState === 'READY' && d.route === 'legacy');

    const text = await registry.metrics();
    expect(text).toContain('bosun_routing_decisions_total{route="temporal",rule="allowlisted"}');
    expect(text).toMatch(/bosun_routing_decisions_total\{route="legacy",rule="off"\} \d+/);
    expect(text).toContain('bosun_flag_reloads_total{result="ok"} 1');
    expect(text).toContain('bosun_flag_reloads_total{result="rejected"} 1');
    expect(text).toContain('bosun_flag_state{state="READY"} 1');
    expect(text).toContain('bosun_flag_state{state="STALE"} 0');
  });
});

describe('file provider events', () => {
  test('STALE with the problem on a bad edit, then READY and CONFIGURATION_CHANGED when fixed', async () => {
    writeByRename(emptyDocument());
    const provider = new FlagFileProvider({ file, logger: silentLogger });
    const events: string[] = [];
    for (const e of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.ConfigurationChanged, ProviderEvents.Error]) {
      provider.events.addHandler(e, (details) => events.push(`${e}${details?.message ? `: ${details.message}` : ''}`));
    }
    await provider.initialize();
    try {
      writeFileSync(file, '{"flags": ');
      await provider.reload();
      writeFileSync(file, formatFlagDocument(onboard(emptyDocument(), 'x')));
      await provider.reload();
      expect(events).toEqual([
        expect.stringMatching(/^PROVIDER_STALE: not valid JSON at line 1, column 11: /),
        'PROVIDER_READY: flag file is valid again',
        'PROVIDER_CONFIGURATION_CHANGED: flag file reloaded',
      ]);
      expect(provider.fileStatus()).toMatchObject({ state: 'READY', reloads: 1, reloadErrors: 1 });
    } finally {
      await provider.onClose();
    }
  });
});

describe('router over another OpenFeature provider', () => {
  test('uses its variants as rules, and a provider without a kill switch flag simply has none', async () => {
    const provider = new InMemoryProvider({
      'temporal-routing': {
        disabled: false,
        variants: { allowlisted: true, off: false },
        defaultVariant: 'off',
        contextEvaluator: (c: EvaluationContext) => (c.application === 'myapp' ? 'allowlisted' : 'off'),
      },
    });
    const router = await createRouter({ provider, logger: silentLogger });
    routers.push(router);
    await expect(router.decide(ctx('myapp'))).resolves.toEqual({
      route: 'temporal',
      rule: 'allowlisted',
      reason: 'application myapp is in the allowlist',
      flagState: 'READY',
    });
    await expect(router.decide(ctx('other'))).resolves.toMatchObject({ route: 'legacy', rule: 'off' });
    expect(router.status()).toEqual({ provider: 'in-memory', state: 'READY' });
  });

  test('a provider that throws sends the request to legacy and decide() does not throw', async () => {
    const broken: Provider = {
      metadata: { name: 'broken' },
      runsOn: 'server',
      resolveBooleanEvaluation: (): Promise<ResolutionDetails<boolean>> => Promise.reject(new Error('connection refused')),
      resolveStringEvaluation: () => Promise.reject(new Error('unused')),
      resolveNumberEvaluation: () => Promise.reject(new Error('unused')),
      resolveObjectEvaluation: () => Promise.reject(new Error('unused')),
    };
    const router = await createRouter({ provider: broken, logger: silentLogger });
    routers.push(router);
    await expect(router.decide(ctx('myapp'))).resolves.toEqual({
      route: 'legacy',
      rule: 'evaluation-error',
      reason: `flag temporal-kill-switch could not be evaluated (${ErrorCode.GENERAL}: connection refused): legacy`,
      flagState: 'READY',
    });
  });
});
