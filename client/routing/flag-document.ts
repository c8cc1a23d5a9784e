/**
 * Pure functions over the flag document Bosun manages (flagd's JSON format). Every edit returns a
 * new document and leaves anything it does not manage as it was: other flags, metadata, and rules
 * a person added by hand to the `if` chain of `temporal-routing`.
 *
 * The routing flag's targeting is one `if` chain, in this order (exclusions first, so they beat
 * the allowlist and the rollout):
 *   account in [excluded accounts]          → legacy-account-excluded
 *   operation in [excluded operations]      → legacy-operation-excluded
 *   application in [offboarded apps]        → legacy-application-excluded
 *   application in [onboarded apps]         → allowlisted
 *   else: fractional rollout (rollout-on / rollout-off) or "off"
 * The kill switch is a separate flag so turning it on never touches the rules above.
 */
import { resolveOperationKey } from '../../domain/operations';
import type { ContextKey, FlagDefinition, FlagDocument, JsonValue, RoutingVariant } from './flag-schema';
import { CONTEXT_KEYS, FLAG_KEYS, KILL_SWITCH_VARIANTS, ROUTING_VARIANTS, ROUTING_VARIANT_VALUES } from './flag-schema';

/** An edit that cannot be made safely on this document (the rule has a shape Bosun does not manage). */
export class FlagEditError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'FlagEditError';
  }
}

/** The rules Bosun manages as lists, each an `in` over a literal array, in the order they are tried. */
const LIST_RULES = [
  { variant: ROUTING_VARIANTS.accountExcluded, key: CONTEXT_KEYS.account },
  { variant: ROUTING_VARIANTS.operationExcluded, key: CONTEXT_KEYS.operation },
  { variant: ROUTING_VARIANTS.applicationExcluded, key: CONTEXT_KEYS.application },
  { variant: ROUTING_VARIANTS.allowlisted, key: CONTEXT_KEYS.application },
] as const satisfies readonly { variant: RoutingVariant; key: ContextKey }[];
type ListVariant = (typeof LIST_RULES)[number]['variant'];

/** What the document says, in the words the platform team uses. */
export interface RoutingSummary {
  /** On: every request goes to legacy. */
  readonly killSwitch: boolean;
  /** Onboarded: routed to Temporal. */
  readonly applications: readonly string[];
  /** Offboarded: held on legacy even when a rollout would pick them. */
  readonly excludedApplications: readonly string[];
  readonly excludedAccounts: readonly string[];
  readonly excludedOperations: readonly string[];
  /** Share of the remaining applications routed to Temporal, 0–100. */
  readonly rolloutPercent: number;
  /** Rules in the `if` chain that Bosun does not manage (added by hand), shown so nobody is surprised. */
  readonly otherRules: number;
  /** 'missing' when the file has no `temporal-routing` flag (everything goes to legacy). */
  readonly routingFlag: 'ENABLED' | 'DISABLED' | 'missing';
  readonly version: string | undefined;
}

const ROUTING_PATH = `flags.${FLAG_KEYS.routing}`;
const TARGETING_PATH = `${ROUTING_PATH}.targeting`;

/** The document a new installation starts from: nothing onboarded, kill switch off, no rollout. */
export function emptyDocument(): FlagDocument {
  return {
    $schema: 'https://flagd.dev/schema/v0/flags.json',
    metadata: { flagSetId: 'bosun-routing', version: '1' },
    flags: {
      [FLAG_KEYS.killSwitch]: killSwitchFlag(false),
      [FLAG_KEYS.routing]: {
        state: 'ENABLED',
        variants: { ...ROUTING_VARIANT_VALUES },
        defaultVariant: ROUTING_VARIANTS.off,
        targeting: {
          if: [...LIST_RULES.flatMap((r) => [inList(r.key, []), r.variant]), ROUTING_VARIANTS.off],
        },
      },
    },
  };
}

/** Routes `app` to Temporal; also lifts an earlier offboarding. */
export function onboard(doc: FlagDocument, app: string): FlagDocument {
  const name = requireName(app, 'application');
  let next = editList(doc, ROUTING_VARIANTS.applicationExcluded, (list) => list.filter((a) => a !== name));
  next = editList(next, ROUTING_VARIANTS.allowlisted, (list) => [...list, name]);
  return next;
}

/**
 * Sends `app` back to legacy at once. It is removed from the allowlist and added to the offboarded
 * list, because with a rollout active an application that was never onboarded may still be on
 * Temporal: only an explicit exclusion guarantees legacy.
 */
export function offboard(doc: FlagDocument, app: string): FlagDocument {
  const name = requireName(app, 'application');
  let next = editList(doc, ROUTING_VARIANTS.allowlisted, (list) => list.filter((a) => a !== name));
  next = editList(next, ROUTING_VARIANTS.applicationExcluded, (list) => [...list, name]);
  return next;
}

/** On: every request goes to legacy, whatever the routing rules say. */
export function setKillSwitch(doc: FlagDocument, on: boolean): FlagDocument {
  const next = structuredClone(doc);
  const existing = next.flags[FLAG_KEYS.killSwitch];
  // Rebuilt rather than patched: a kill switch must be unconditional, so any targeting a person
  // added to it (which could make "on" apply to only some requests) is dropped.
  next.flags[FLAG_KEYS.killSwitch] = { ...killSwitchFlag(on), ...(existing?.metadata ? { metadata: existing.metadata } : {}) };
  return next;
}

export function excludeAccount(doc: FlagDocument, account: string): FlagDocument {
  const name = requireName(account, 'account');
  return editList(doc, ROUTING_VARIANTS.accountExcluded, (list) => [...list, name]);
}

export function includeAccount(doc: FlagDocument, account: string): FlagDocument {
  const name = requireName(account, 'account');
  return editList(doc, ROUTING_VARIANTS.accountExcluded, (list) => list.filter((a) => a !== name));
}

/**
 * Excludes an operation. A legacy key (`resizeAsgDescription`) is stored as the operation it
 * names (`resizeServerGroup`), because the facade routes on the modern name: an exclusion under
 * the legacy key would never match.
 */
export function excludeOperation(doc: FlagDocument, operation: string): FlagDocument {
  const name = operationName(requireName(operation, 'operation'));
  return editList(doc, ROUTING_VARIANTS.operationExcluded, (list) => [...list, name]);
}

export function includeOperation(doc: FlagDocument, operation: string): FlagDocument {
  const given = requireName(operation, 'operation');
  const name = operationName(given);
  return editList(doc, ROUTING_VARIANTS.operationExcluded, (list) => list.filter((a) => a !== name && a !== given));
}

function operationName(key: string): string {
  return resolveOperationKey(key) ?? key;
}

/**
 * Routes `percent` % of the applications no other rule decides to Temporal, stable per application
 * (flagd's fractional hashes flag key + application). 0 removes the rollout.
 */
export function setRollout(doc: FlagDocument, percent: number): FlagDocument {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new FlagEditError(TARGETING_PATH, `rollout must be a whole percentage from 0 to 100, got ${percent}`);
  }
  const next = withRoutingFlag(doc);
  const flag = routingFlag(next);
  const chain = readChain(flag.targeting);
  if (chain.otherwise !== undefined && rolloutOf(chain.otherwise) === undefined) {
    throw new FlagEditError(
      `${TARGETING_PATH}.if[${chain.rules.length * 2}]`,
      `the last branch is a hand-written rule (${JSON.stringify(chain.otherwise)}), not a Bosun rollout; edit it by hand`,
    );
  }
  chain.otherwise = percent === 0 ? ROUTING_VARIANTS.off : rolloutRule(percent);
  flag.targeting = writeChain(chain);
  return next;
}

/** Adds 1 to `metadata.version` when it is a whole number, so every saved change is numbered. */
export function bumpVersion(doc: FlagDocument): FlagDocument {
  const next = structuredClone(doc);
  const current = next.metadata?.version;
  const n = typeof current === 'number' ? current : typeof current === 'string' && /^\d+$/.test(current) ? Number(current) : undefined;
  if (n === undefined && current !== undefined) return next;
  next.metadata = { ...next.metadata, version: String((n ?? 0) + 1) };
  return next;
}

/** Reads the document back into the platform team's words. Never throws: odd rules are counted, not parsed. */
export function describe(doc: FlagDocument): RoutingSummary {
  const flag = doc.flags[FLAG_KEYS.routing];
  const version = doc.metadata?.version;
  const chain = flag ? safeReadChain(flag.targeting) : { rules: [], otherwise: undefined };
  const list = (variant: ListVariant): string[] => {
    const rule = chain.rules.find((r) => r.result === variant);
    return (rule && listOf(rule.condition, LIST_RULES.find((r) => r.variant === variant)!.key)) ?? [];
  };
  const managed = new Set<string>(LIST_RULES.map((r) => r.variant));
  const otherRules = chain.rules.filter(
    (r) => !(typeof r.result === 'string' && managed.has(r.result) && listOf(r.condition, keyOf(r.result))),
  ).length;
  const killSwitch = doc.flags[FLAG_KEYS.killSwitch];
  return {
    killSwitch: killSwitch !== undefined && killSwitch.state === 'ENABLED' && killSwitch.variants[killSwitch.defaultVariant ?? ''] === true,
    applications: list(ROUTING_VARIANTS.allowlisted),
    excludedApplications: list(ROUTING_VARIANTS.applicationExcluded),
    excludedAccounts: list(ROUTING_VARIANTS.accountExcluded),
    excludedOperations: list(ROUTING_VARIANTS.operationExcluded),
    rolloutPercent: chain.otherwise === undefined ? 0 : (rolloutOf(chain.otherwise) ?? 0),
    otherRules: otherRules + (chain.otherwise !== undefined && rolloutOf(chain.otherwise) === undefined ? 1 : 0),
    routingFlag: flag ? flag.state : 'missing',
    version: version === undefined ? undefined : String(version),
  };
}

/** Whether two documents route the same way (ignores the version number and key order). */
export function sameRules(a: FlagDocument, b: FlagDocument): boolean {
  const strip = (d: FlagDocument) => canonicalJson({ ...d, metadata: { ...d.metadata, version: 0 } });
  return strip(a) === strip(b);
}

/**
 * The document as people read and diff it: anything that fits in 100 characters stays on one line
 * (`{ "in": [{ "var": "account" }, []] }`), longer lists get one entry per line so adding an
 * application is a one-line diff.
 */
export function formatFlagDocument(doc: FlagDocument): string {
  return `${formatJson(doc, '')}\n`;
}

function formatJson(value: JsonValue, indent: string): string {
  const inline = inlineJson(value);
  if (indent.length + inline.length <= 100 || value === null || typeof value !== 'object') return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => `${inner}${formatJson(v, inner)}`).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

function inlineJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** One line for people: "3 applications on Temporal, rollout 20%, kill switch off, …". */
export function summaryLine(s: RoutingSummary): string {
  const parts = [
    `kill switch ${s.killSwitch ? 'ON (everything to legacy)' : 'off'}`,
    `${plural(s.applications.length, 'application')} onboarded`,
    `rollout ${s.rolloutPercent}%`,
    `${plural(s.excludedApplications.length, 'application')} offboarded`,
    `${plural(s.excludedAccounts.length, 'account')} excluded`,
    `${plural(s.excludedOperations.length, 'operation')} excluded`,
  ];
  if (s.otherRules > 0) parts.push(`${plural(s.otherRules, 'hand-written rule')}`);
  if (s.routingFlag !== 'ENABLED') parts.push(`routing flag ${s.routingFlag}`);
  return parts.join(', ');
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// --- internals -------------------------------------------------------------------------------

interface Chain {
  rules: { condition: JsonValue; result: JsonValue }[];
  otherwise: JsonValue | undefined;
}

function killSwitchFlag(on: boolean): FlagDefinition {
  return {
    state: 'ENABLED',
    variants: { [KILL_SWITCH_VARIANTS.on]: true, [KILL_SWITCH_VARIANTS.off]: false },
    defaultVariant: on ? KILL_SWITCH_VARIANTS.on : KILL_SWITCH_VARIANTS.off,
  };
}

function inList(key: ContextKey, values: readonly string[]): JsonValue {
  return { in: [{ var: key }, [...values]] };
}

function rolloutRule(percent: number): JsonValue {
  return {
    fractional: [
      { cat: [{ var: '$flagd.flagKey' }, { var: CONTEXT_KEYS.application }] },
      [ROUTING_VARIANTS.rolloutOn, percent],
      [ROUTING_VARIANTS.rolloutOff, 100 - percent],
    ],
  };
}

/** The percentage of a Bosun rollout rule (or "off"), undefined for anything else. */
function rolloutOf(node: JsonValue): number | undefined {
  if (node === ROUTING_VARIANTS.off || node === null) return 0;
  if (!isObject(node) || !Array.isArray(node.fractional)) return undefined;
  let on = 0;
  let total = 0;
  for (const bucket of node.fractional) {
    if (!Array.isArray(bucket)) continue;
    const [variant, weight] = bucket;
    if (typeof weight !== 'number') return undefined;
    if (variant === ROUTING_VARIANTS.rolloutOn) on += weight;
    else if (variant !== ROUTING_VARIANTS.rolloutOff) return undefined;
    total += weight;
  }
  return total > 0 ? Math.round((on / total) * 10_000) / 100 : undefined;
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(variant: string): ContextKey {
  return LIST_RULES.find((r) => r.variant === variant)?.key ?? CONTEXT_KEYS.application;
}

/** The literal list of `{"in": [{"var": key}, [...]]}`, or undefined for any other shape. */
function listOf(condition: JsonValue, key: ContextKey): string[] | undefined {
  if (!isObject(condition) || Object.keys(condition).length !== 1) return undefined;
  const args = condition.in;
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const [ref, values] = args;
  if (!isObject(ref) || ref.var !== key || !Array.isArray(values)) return undefined;
  return values.every((v): v is string => typeof v === 'string') ? values : undefined;
}

function readChain(targeting: FlagDefinition['targeting']): Chain {
  if (targeting === undefined || Object.keys(targeting).length === 0) return { rules: [], otherwise: undefined };
  const branches = targeting.if;
  if (Object.keys(targeting).length !== 1 || !Array.isArray(branches)) {
    throw new FlagEditError(
      TARGETING_PATH,
      `Bosun manages an "if" chain here, found ${JSON.stringify(Object.keys(targeting))}; edit this flag by hand`,
    );
  }
  const rules: Chain['rules'] = [];
  for (let i = 0; i + 1 < branches.length; i += 2) rules.push({ condition: branches[i]!, result: branches[i + 1]! });
  return { rules, otherwise: branches.length % 2 === 1 ? branches[branches.length - 1] : undefined };
}

function safeReadChain(targeting: FlagDefinition['targeting']): Chain {
  try {
    return readChain(targeting);
  } catch {
    return { rules: [], otherwise: targeting ?? undefined };
  }
}

function writeChain(chain: Chain): { [key: string]: JsonValue } {
  const branches: JsonValue[] = chain.rules.flatMap((r) => [r.condition, r.result]);
  if (chain.otherwise !== undefined) branches.push(chain.otherwise);
  return { if: branches };
}

function routingFlag(doc: FlagDocument): FlagDefinition {
  return doc.flags[FLAG_KEYS.routing]!;
}

/** A copy of `doc` whose routing flag exists and has every Bosun variant with its meaning. */
function withRoutingFlag(doc: FlagDocument): FlagDocument {
  const next = structuredClone(doc);
  const flag = next.flags[FLAG_KEYS.routing];
  if (!flag) {
    next.flags[FLAG_KEYS.routing] = structuredClone(emptyDocument().flags[FLAG_KEYS.routing]!);
    return next;
  }
  for (const [variant, value] of Object.entries(ROUTING_VARIANT_VALUES)) {
    const existing = flag.variants[variant];
    if (existing === undefined) flag.variants[variant] = value;
    else if (existing !== value) {
      throw new FlagEditError(
        `${ROUTING_PATH}.variants.${variant}`,
        `is ${JSON.stringify(existing)} but Bosun's rule of that name means ${value ? 'Temporal (true)' : 'legacy (false)'}; fix it by hand`,
      );
    }
  }
  return next;
}

/** Applies `edit` to the literal list of one managed rule, adding the rule where it belongs if absent. */
function editList(doc: FlagDocument, variant: ListVariant, edit: (list: string[]) => string[]): FlagDocument {
  const next = withRoutingFlag(doc);
  const flag = routingFlag(next);
  const chain = readChain(flag.targeting);
  const spec = LIST_RULES.find((r) => r.variant === variant)!;
  const index = chain.rules.findIndex((r) => r.result === variant);
  if (index >= 0) {
    const list = listOf(chain.rules[index]!.condition, spec.key);
    if (!list) {
      throw new FlagEditError(
        `${TARGETING_PATH}.if[${index * 2}]`,
        `the rule for '${variant}' is not {"in": [{"var": "${spec.key}"}, [literal list]]}, so Bosun cannot edit it; edit it by hand`,
      );
    }
    chain.rules[index] = { condition: inList(spec.key, normalize(edit(list))), result: variant };
  } else {
    const list = normalize(edit([]));
    // Insert before the first managed rule that comes later in the canonical order, so
    // exclusions stay ahead of the allowlist even in a document written by hand.
    const order = LIST_RULES.findIndex((r) => r.variant === variant);
    const later = new Set<string>(LIST_RULES.slice(order + 1).map((r) => r.variant));
    const at = chain.rules.findIndex((r) => typeof r.result === 'string' && later.has(r.result));
    chain.rules.splice(at >= 0 ? at : chain.rules.length, 0, { condition: inList(spec.key, list), result: variant });
  }
  if (chain.otherwise === undefined) chain.otherwise = ROUTING_VARIANTS.off;
  flag.targeting = writeChain(chain);
  return next;
}

/** Sorted and without duplicates, so the file diffs cleanly and the same edit twice changes nothing. */
function normalize(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}

function requireName(value: string, what: string): string {
  const name = value.trim();
  if (name === '' || /[\s"\\]/.test(name) || /[\u0000-\u001f]/.test(name)) {
    throw new FlagEditError(TARGETING_PATH, `${JSON.stringify(value)} is not a valid ${what} name`);
  }
  return name;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
