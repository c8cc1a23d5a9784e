import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  bumpVersion,
  describe as describeDoc,
  emptyDocument,
  excludeAccount,
  excludeOperation,
  FlagEditError,
  formatFlagDocument,
  includeAccount,
  includeOperation,
  offboard,
  onboard,
  sameRules,
  setKillSwitch,
  setRollout,
  summaryLine,
} from './flag-document';
import type { FlagDocument, JsonValue } from './flag-schema';
import { FLAG_KEYS } from './flag-schema';
import { validateFlagDocument, validateFlagText } from './validate';

const routingIf = (doc: FlagDocument): JsonValue[] => doc.flags[FLAG_KEYS.routing]!.targeting!.if as JsonValue[];

describe('flag document', () => {
  test('emptyDocument: nothing onboarded, kill switch off, no rollout, and it validates', () => {
    const doc = emptyDocument();
    expect(describeDoc(doc)).toEqual({
      killSwitch: false,
      applications: [],
      excludedApplications: [],
      excludedAccounts: [],
      excludedOperations: [],
      rolloutPercent: 0,
      otherRules: 0,
      routingFlag: 'ENABLED',
      version: '1',
    });
    expect(validateFlagText(formatFlagDocument(doc)).ok).toBe(true);
  });

  test('onboard adds the application to the allowlist, sorted and once, and returns a new document', () => {
    const empty = emptyDocument();
    const doc = onboard(onboard(onboard(empty, 'zeta'), 'alpha'), 'zeta');
    expect(describeDoc(doc).applications).toEqual(['alpha', 'zeta']);
    expect(describeDoc(empty).applications).toEqual([]);
    expect(routingIf(doc)).toContainEqual({ in: [{ var: 'application' }, ['alpha', 'zeta']] });
  });

  test('offboard removes from the allowlist and holds the application on legacy; onboard lifts that', () => {
    const doc = offboard(onboard(onboard(emptyDocument(), 'a'), 'b'), 'a');
    expect(describeDoc(doc)).toMatchObject({ applications: ['b'], excludedApplications: ['a'] });
    expect(describeDoc(onboard(doc, 'a'))).toMatchObject({ applications: ['a', 'b'], excludedApplications: [] });
  });

  test('offboard works for an application that was never onboarded', () => {
    const doc = offboard(emptyDocument(), 'never');
    expect(describeDoc(doc)).toMatchObject({ applications: [], excludedApplications: ['never'] });
    expect(validateFlagDocument(doc).ok).toBe(true);
  });

  test('kill switch on and off', () => {
    const on = setKillSwitch(emptyDocument(), true);
    expect(describeDoc(on).killSwitch).toBe(true);
    expect(on.flags[FLAG_KEYS.killSwitch]!.defaultVariant).toBe('on');
    expect(describeDoc(setKillSwitch(on, false)).killSwitch).toBe(false);
  });

  test('kill switch drops targeting a person added to it: on must mean everything', () => {
    const doc = emptyDocument();
    doc.flags[FLAG_KEYS.killSwitch]!.targeting = { if: [{ '==': [{ var: 'account' }, 'prod'] }, 'on', 'off'] };
    expect(setKillSwitch(doc, true).flags[FLAG_KEYS.killSwitch]!.targeting).toBeUndefined();
  });

  test('exclude and include accounts and operations', () => {
    let doc = excludeAccount(excludeAccount(emptyDocument(), 'prod-legacy'), 'gov');
    doc = excludeOperation(doc, 'destroyServerGroup');
    expect(describeDoc(doc)).toMatchObject({ excludedAccounts: ['gov', 'prod-legacy'], excludedOperations: ['destroyServerGroup'] });
    doc = includeOperation(includeAccount(doc, 'gov'), 'destroyServerGroup');
    expect(describeDoc(doc)).toMatchObject({ excludedAccounts: ['prod-legacy'], excludedOperations: [] });
  });

  test('exclusions come before the allowlist in the chain, so they win', () => {
    const doc = excludeAccount(onboard(emptyDocument(), 'myapp'), 'prod');
    const branches = routingIf(doc);
    expect(branches.indexOf('legacy-account-excluded')).toBeLessThan(branches.indexOf('allowlisted'));
    expect(branches.indexOf('legacy-application-excluded')).toBeLessThan(branches.indexOf('allowlisted'));
  });

  test('setRollout writes a fractional split, 0 removes it, and out-of-range values are refused', () => {
    const doc = setRollout(emptyDocument(), 20);
    expect(describeDoc(doc).rolloutPercent).toBe(20);
    expect(routingIf(doc).at(-1)).toEqual({
      fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'application' }] }, ['rollout-on', 20], ['rollout-off', 80]],
    });
    expect(validateFlagDocument(doc).ok).toBe(true);
    expect(validateFlagDocument(setRollout(doc, 100)).ok).toBe(true);
    expect(routingIf(setRollout(doc, 0)).at(-1)).toBe('off');
    expect(() => setRollout(doc, 101)).toThrow('rollout must be a whole percentage from 0 to 100, got 101');
    expect(() => setRollout(doc, 12.5)).toThrow(FlagEditError);
  });

  test('rules a person added by hand are kept by every edit', () => {
    const doc = emptyDocument();
    const branches = routingIf(doc);
    const custom = { '==': [{ var: 'region' }, 'eu-west-1'] };
    branches.splice(6, 0, custom, 'off');
    const edited = setRollout(excludeAccount(onboard(doc, 'myapp'), 'prod'), 10);
    expect(routingIf(edited)).toContainEqual(custom);
    expect(describeDoc(edited).otherRules).toBe(1);
    expect(validateFlagDocument(edited).ok).toBe(true);
  });

  test('an edit refuses a managed rule with a shape it does not manage, naming the path', () => {
    const doc = emptyDocument();
    routingIf(doc)[6] = { in: [{ var: 'application' }, 'myapp'] };
    expect(() => onboard(doc, 'x')).toThrow(/flags\.temporal-routing\.targeting\.if\[6\]: the rule for 'allowlisted' is not/);
  });

  test('a document without the routing flag gets it on the first edit', () => {
    const doc: FlagDocument = { flags: {} };
    const edited = onboard(doc, 'myapp');
    expect(describeDoc(doc).routingFlag).toBe('missing');
    expect(describeDoc(edited)).toMatchObject({ routingFlag: 'ENABLED', applications: ['myapp'] });
  });

  test('names with spaces or quotes are refused', () => {
    expect(() => onboard(emptyDocument(), 'my app')).toThrow('"my app" is not a valid application name');
    expect(() => excludeAccount(emptyDocument(), '')).toThrow(FlagEditError);
  });

  test('bumpVersion, sameRules and summaryLine', () => {
    const doc = onboard(emptyDocument(), 'a');
    const bumped = bumpVersion(doc);
    expect(bumped.metadata?.version).toBe('2');
    expect(sameRules(doc, bumped)).toBe(true);
    expect(sameRules(doc, onboard(doc, 'b'))).toBe(false);
    expect(summaryLine(describeDoc(setRollout(doc, 5)))).toBe(
      'kill switch off, 1 application onboarded, rollout 5%, 0 applications offboarded, 0 accounts excluded, 0 operations excluded',
    );
  });

  test('any sequence of edits yields a valid document whose summary matches the edits (property)', () => {
    type Edit =
      | { op: 'onboard' | 'offboard' | 'excludeAccount' | 'includeAccount'; name: string }
      | { op: 'rollout'; percent: number }
      | { op: 'kill'; on: boolean };
    const name = fc.constantFrom('a', 'b', 'c', 'prod', 'test');
    const edit: fc.Arbitrary<Edit> = fc.oneof(
      fc.record({
        op: fc.constantFrom('onboard' as const, 'offboard' as const, 'excludeAccount' as const, 'includeAccount' as const),
        name,
      }),
      fc.record({ op: fc.constant('rollout' as const), percent: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ op: fc.constant('kill' as const), on: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 20 }), (edits) => {
        let doc = emptyDocument();
        const onboarded = new Set<string>();
        const accounts = new Set<string>();
        let rollout = 0;
        let kill = false;
        // Each edit by name, the set of names it changes in the model, and whether it adds to it.
        const byName = {
          onboard: [onboard, onboarded, true],
          offboard: [offboard, onboarded, false],
          excludeAccount: [excludeAccount, accounts, true],
          includeAccount: [includeAccount, accounts, false],
        } as const;
        for (const e of edits) {
          if (e.op === 'rollout') {
            doc = setRollout(doc, e.percent);
            rollout = e.percent;
          } else if (e.op === 'kill') {
            doc = setKillSwitch(doc, e.on);
            kill = e.on;
          } else {
            const [apply, model, adds] = byName[e.op];
            doc = apply(doc, e.name);
            if (adds) model.add(e.name);
            else model.delete(e.name);
          }
        }
        const s = describeDoc(doc);
        expect(s.applications).toEqual([...onboarded].sort());
        expect(s.excludedAccounts).toEqual([...accounts].sort());
        expect(s.rolloutPercent).toBe(rollout);
        expect(s.killSwitch).toBe(kill);
        expect(validateFlagText(formatFlagDocument(doc))).toMatchObject({ ok: true });
      }),
      { numRuns: 100 },
    );
  });

  test('infra/flags/routing.example.json is emptyDocument() with myapp onboarded, as the CLI writes it', () => {
    const file = path.join(__dirname, '../../infra/flags/routing.example.json');
    expect(readFileSync(file, 'utf8')).toBe(formatFlagDocument(onboard(emptyDocument(), 'myapp')));
  });
});
