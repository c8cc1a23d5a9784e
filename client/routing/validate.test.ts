import { emptyDocument, formatFlagDocument, onboard, setRollout } from './flag-document';
import type { FlagDocument, JsonValue } from './flag-schema';
import { FLAG_KEYS } from './flag-schema';
import { KNOWN_OPERATORS, validateFlagText } from './validate';

const good = (): FlagDocument => setRollout(onboard(emptyDocument(), 'myapp'), 20);
const routingIf = (doc: FlagDocument): JsonValue[] => doc.flags[FLAG_KEYS.routing]!.targeting!.if as JsonValue[];
const problemsOf = (text: string): readonly string[] => {
  const result = validateFlagText(text);
  if (result.ok) throw new Error('expected the file to be refused');
  return result.problems;
};

describe('validateFlagText', () => {
  test('accepts what Bosun writes, and the example from FLAGS.md', () => {
    expect(validateFlagText(formatFlagDocument(good()))).toMatchObject({ ok: true });
    const flagsMd = {
      $schema: 'https://flagd.dev/schema/v0/flags.json',
      metadata: { flagSetId: 'bosun-routing', version: '1' },
      flags: {
        'temporal-routing': {
          state: 'ENABLED',
          variants: { allowlisted: true, 'legacy-blocked': false, 'rollout-on': true, 'rollout-off': false, off: false },
          defaultVariant: 'off',
          targeting: {
            if: [
              { in: [{ var: 'application' }, ['app1', 'app2']] },
              'allowlisted',
              { '==': [{ var: 'account' }, 'prod-legacy'] },
              'legacy-blocked',
              { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'application' }] }, ['rollout-on', 20], ['rollout-off', 80]] },
            ],
          },
        },
      },
    };
    expect(validateFlagText(JSON.stringify(flagsMd))).toMatchObject({ ok: true });
  });

  test("refuses the typo 'inn', naming the path and the likely operator", () => {
    const doc = good();
    routingIf(doc)[0] = { inn: [{ var: 'account' }, []] };
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      "flags.temporal-routing.targeting.if[0]: unknown operator 'inn' (did you mean 'in'?)",
    ]);
  });

  test('refuses a rule that returns a variant that does not exist', () => {
    const doc = good();
    routingIf(doc)[7] = 'allowlistd';
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      "flags.temporal-routing.targeting.if[7]: returns variant 'allowlistd', which is not one of the 7 variants " +
        '(legacy-account-excluded, legacy-operation-excluded, legacy-application-excluded, allowlisted, rollout-on, rollout-off, off)',
    ]);
  });

  test('refuses a fractional bucket naming a missing variant', () => {
    const doc = good();
    const rollout = routingIf(doc)[8] as { fractional: JsonValue[] };
    rollout.fractional[1] = ['rolout-on', 20];
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      expect.stringMatching(
        /^flags\.temporal-routing\.targeting\.if\[8\]\.fractional\[1\]\[0\]: returns variant 'rolout-on', which is not one of/,
      ),
    ]);
  });

  test('refuses a defaultVariant that does not exist', () => {
    const doc = good();
    doc.flags[FLAG_KEYS.routing]!.defaultVariant = 'of';
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      expect.stringMatching(/^flags\.temporal-routing\.defaultVariant: 'of' is not one of the 7 variants/),
    ]);
  });

  test('refuses bad JSON, saying where', () => {
    const text = formatFlagDocument(good()).replace('"state": "ENABLED",', '"state": "ENABLED"');
    expect(problemsOf(text)).toEqual([expect.stringMatching(/^not valid JSON at line \d+, column \d+: /)]);
    expect(problemsOf('')).toEqual(['the file is empty']);
  });

  test("refuses 'in' against a string (substring matching)", () => {
    const doc = good();
    routingIf(doc)[6] = { in: [{ var: 'application' }, 'myapp,otherapp'] };
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      `flags.temporal-routing.targeting.if[6].in[1]: 'in' must be given an array, got string "myapp,otherapp"; against a string it matches substrings ("app" would match "myapp2")`,
    ]);
  });

  test('refuses structure errors with their paths: bad state, unknown field, non-boolean Bosun flag, missing routing flag', () => {
    const doc = good() as unknown as { flags: Record<string, Record<string, unknown>> };
    doc.flags['temporal-routing']!.state = 'ON';
    doc.flags['temporal-routing']!.defaultVarient = 'off';
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      "flags.temporal-routing.state: must be 'ENABLED' or 'DISABLED'",
      "flags.temporal-routing: unknown field 'defaultVarient'",
    ]);

    const stringy = good();
    stringy.flags[FLAG_KEYS.killSwitch]!.variants = { on: 'yes', off: 'no' };
    expect(problemsOf(JSON.stringify(stringy))).toEqual([
      'flags.temporal-kill-switch.variants: must all be true or false; on is "yes", off is "no"',
    ]);

    expect(problemsOf(JSON.stringify({ flags: {} }))).toEqual([
      'flags.temporal-routing: missing; Bosun routes on this flag, and without it every application goes to legacy',
    ]);
  });

  test('refuses a rule object with two operators and a broken fractional', () => {
    const doc = good();
    routingIf(doc)[0] = { in: [{ var: 'account' }, []], or: [] };
    routingIf(doc)[8] = { fractional: [['rollout-on', -1]] };
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      "flags.temporal-routing.targeting.if[0]: a JsonLogic rule has exactly one operator, found 2 keys ('in', 'or')",
      'flags.temporal-routing.targeting.if[8].fractional[0][1]: a weight is a whole number 0 or more, got -1',
      'flags.temporal-routing.targeting.if[8].fractional: the bucket weights add up to 0',
    ]);
  });

  test('resolves $ref through $evaluators and refuses an unknown one', () => {
    const doc = good() as FlagDocument & { $evaluators?: Record<string, JsonValue> };
    doc.$evaluators = { internal: { in: [{ var: 'account' }, ['internal']] } };
    routingIf(doc)[0] = { $ref: 'internal' };
    expect(validateFlagText(JSON.stringify(doc))).toMatchObject({ ok: true });
    routingIf(doc)[0] = { $ref: 'intrenal' };
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      'flags.temporal-routing.targeting.if[0]: $ref "intrenal" names no entry of $evaluators (internal)',
    ]);
  });

  test('every known operator is one flagd-core accepts', () => {
    const app = { var: 'application' };
    const examples: Partial<Record<(typeof KNOWN_OPERATORS)[number], JsonValue>> = {
      in: ['a', ['a']],
      var: 'account',
      missing: ['account'],
      missing_some: [1, ['account', 'user']],
      substr: [app, 0, 2],
      map: [[1, 2], { '+': [{ var: '' }, 1] }],
      filter: [[1, 2], { '>': [{ var: '' }, 1] }],
      reduce: [[1, 2], { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0],
      all: [[1, 2], { '>': [{ var: '' }, 0] }],
      none: [[1, 2], { '>': [{ var: '' }, 5] }],
      some: [[1, 2], { '>': [{ var: '' }, 1] }],
      sem_ver: ['1.2.3', '>=', '1.0.0'],
      starts_with: [app, 'my'],
      ends_with: [app, 'app'],
      if: [true, true, false],
      '!': [false],
      '!!': [1],
    };
    for (const op of KNOWN_OPERATORS) {
      const doc = good();
      if (op === 'fractional') continue; // a result position; covered by the rollout documents above
      // A condition position: any operator may stand there.
      routingIf(doc)[0] = { [op]: examples[op] ?? [1, 1] };
      expect([op, validateFlagText(JSON.stringify(doc))]).toEqual([op, expect.objectContaining({ ok: true })]);
    }
  });

  test("flagd's own schema errors are reduced to the deepest path", () => {
    const doc = good();
    routingIf(doc)[0] = { missing: [1, 2] };
    expect(problemsOf(JSON.stringify(doc))).toEqual([
      "flags.temporal-routing.targeting.if[0].missing[0]: flagd's schema refuses this: must be string",
    ]);
  });
});
