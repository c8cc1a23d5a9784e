/**
 * Strict validation of a flag file's text. flagd itself accepts a typo'd operator (`inn`) and then
 * returns the caller's default for every application — a silent "everything to legacy" — and keeps
 * a broken edit without a word. This refuses both, and says where and what: every problem names
 * its path ("flags.temporal-routing.targeting.if[0]: unknown operator 'inn' (did you mean 'in'?)").
 */
import { MemoryStorage } from '@openfeature/flagd-core';
import type { z } from 'zod';
import { jsonDepthExceeds } from '../../domain/json-limits';
import type { FlagDocument, JsonValue } from './flag-schema';
import { FLAG_KEYS, flagDocumentSchema } from './flag-schema';

export type ValidationResult =
  { readonly ok: true; readonly doc: FlagDocument } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The operators flagd-core 4.0.1 accepts in targeting: those of flagd's targeting JSON schema
 * (bundled in flagd-core as its strict validator), all of which its json-logic-engine implements,
 * plus flagd's own `fractional`, `sem_ver`, `starts_with` and `ends_with`. The engine knows a few
 * more (`??`, `try`, `pipe`…) that flagd's schema and the other flagd SDKs do not, so a file
 * using them would not survive a move to the stock flagd provider; they are refused here. Each
 * says whether its result is always true/false: at a result position flagd then looks up the
 * variant "true"/"false".
 */
const OPERATOR_RESULTS = {
  if: 'value',
  '==': 'boolean',
  '===': 'boolean',
  '!=': 'boolean',
  '!==': 'boolean',
  '!': 'boolean',
  '!!': 'boolean',
  and: 'value',
  or: 'value',
  '<': 'boolean',
  '<=': 'boolean',
  '>': 'boolean',
  '>=': 'boolean',
  '+': 'value',
  '-': 'value',
  '*': 'value',
  '/': 'value',
  '%': 'value',
  max: 'value',
  min: 'value',
  in: 'boolean',
  var: 'value',
  missing: 'value',
  missing_some: 'value',
  cat: 'value',
  substr: 'value',
  merge: 'value',
  map: 'value',
  filter: 'value',
  reduce: 'value',
  all: 'boolean',
  none: 'boolean',
  some: 'boolean',
  fractional: 'value',
  sem_ver: 'boolean',
  starts_with: 'boolean',
  ends_with: 'boolean',
} as const satisfies Record<string, 'boolean' | 'value'>;
export type KnownOperator = keyof typeof OPERATOR_RESULTS;
/** In the order the typo suggestion prefers them. */
export const KNOWN_OPERATORS = Object.keys(OPERATOR_RESULTS) as readonly KnownOperator[];
const OPERATORS: ReadonlySet<string> = new Set(KNOWN_OPERATORS);
const BOOLEAN_OPERATORS: ReadonlySet<string> = new Set(KNOWN_OPERATORS.filter((op) => OPERATOR_RESULTS[op] === 'boolean'));

/** A flag file larger than this is refused unread: a real one (2,000 applications) is about 60 KB. */
export const MAX_FLAG_FILE_BYTES = 1024 * 1024;
/** JsonLogic nests a level or two per rule; a file deeper than this is a mistake or an attack. */
export const MAX_FLAG_FILE_DEPTH = 64;

/** Validates the text of a flag file; `ok` documents load in flagd-core and return only variants they define. */
export function validateFlagText(text: string): ValidationResult {
  if (text.trim() === '') return { ok: false, problems: ['the file is empty'] };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FLAG_FILE_BYTES) return { ok: false, problems: [`the file is ${bytes} bytes; the limit is ${MAX_FLAG_FILE_BYTES}`] };
  // Checked before parsing: validation and flagd-core's evaluator both recurse over the rules.
  if (jsonDepthExceeds(text, MAX_FLAG_FILE_DEPTH))
    return { ok: false, problems: [`the file nests deeper than ${MAX_FLAG_FILE_DEPTH} levels`] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not valid JSON${jsonErrorPlace(text, err as Error)}: ${(err as Error).message}`] };
  }
  const result = validateFlagDocument(value);
  if (!result.ok) return result;
  // Last, the engine itself: whatever passed the checks above must also load in flagd-core with
  // its own strict schema, or the provider would refuse it later.
  const refusal = flagdCoreRefusal(text);
  return refusal ? { ok: false, problems: [refusal] } : result;
}

/** Validates an already parsed document (what the CLI checks before it writes). */
export function validateFlagDocument(value: unknown): ValidationResult {
  const parsed = flagDocumentSchema.safeParse(value);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error.issues) };
  const doc = parsed.data;
  const problems: string[] = [];
  const evaluators = (doc.$evaluators ?? {}) as Record<string, JsonValue>;
  for (const [name, logic] of Object.entries(evaluators)) checkLogic(logic, `$evaluators.${name}`, evaluators, problems);

  for (const [key, flag] of Object.entries(doc.flags)) {
    const at = `flags.${key}`;
    const variantNames = Object.keys(flag.variants);
    const types = new Set(Object.values(flag.variants).map((v) => typeof v));
    if (types.size > 1)
      problems.push(`${at}.variants: mixes value types (${[...types].sort().join(', ')}); a flag's variants must all be of one type`);
    if (flag.defaultVariant != null && !(flag.defaultVariant in flag.variants)) {
      problems.push(
        `${at}.defaultVariant: '${flag.defaultVariant}' is not one of the ${variantNames.length} variants (${variantNames.join(', ')})`,
      );
    }
    if (flag.targeting !== undefined && Object.keys(flag.targeting).length > 0) {
      const targeting = flag.targeting as JsonValue;
      const before = problems.length;
      checkLogic(targeting, `${at}.targeting`, evaluators, problems);
      // Only look for returned variants in logic that is otherwise sound, to report one cause once.
      if (problems.length === before) {
        for (const r of resultsOf(targeting, `${at}.targeting`, evaluators)) {
          if (!(r.variant in flag.variants)) {
            problems.push(
              `${r.path}: returns variant '${r.variant}', which is not one of the ${variantNames.length} variants (${variantNames.join(', ')})`,
            );
          }
        }
      }
    }
  }

  // Bosun's own flags: the routing flag must exist (without it everything silently goes to
  // legacy) and both must be boolean flags that name their default.
  if (!doc.flags[FLAG_KEYS.routing]) {
    problems.push(`flags.${FLAG_KEYS.routing}: missing; Bosun routes on this flag, and without it every application goes to legacy`);
  }
  for (const key of Object.values(FLAG_KEYS)) {
    const flag = doc.flags[key];
    if (!flag) continue;
    const nonBoolean = Object.entries(flag.variants).filter(([, v]) => typeof v !== 'boolean');
    if (nonBoolean.length > 0) {
      problems.push(
        `flags.${key}.variants: must all be true or false; ${nonBoolean.map(([n, v]) => `${n} is ${JSON.stringify(v)}`).join(', ')}`,
      );
    }
    if (flag.defaultVariant == null)
      problems.push(`flags.${key}.defaultVariant: must name a variant (Bosun's flags never fall back to the caller's default)`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, doc };
}

// --- JsonLogic checks ------------------------------------------------------------------------

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkLogic(node: JsonValue, path: string, evaluators: Record<string, JsonValue>, problems: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => checkLogic(item, `${path}[${i}]`, evaluators, problems));
    return;
  }
  if (!isObject(node)) return;
  const keys = Object.keys(node);
  if (keys.length === 0) return;
  if (keys.length > 1) {
    problems.push(
      `${path}: a JsonLogic rule has exactly one operator, found ${keys.length} keys (${keys.map((k) => `'${k}'`).join(', ')})`,
    );
    return;
  }
  const op = keys[0]!;
  const args = node[op]!;
  if (op === '$ref') {
    if (typeof args !== 'string' || !(args in evaluators)) {
      const known = Object.keys(evaluators);
      problems.push(
        `${path}: $ref ${JSON.stringify(args)} names no entry of $evaluators (${known.length > 0 ? known.join(', ') : 'there are none'})`,
      );
    }
    return;
  }
  if (!OPERATORS.has(op)) {
    const hint = closest(op);
    problems.push(`${path}: unknown operator '${op}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    return;
  }
  const argPath = `${path}.${op}`;
  switch (op) {
    case 'in':
      if (!Array.isArray(args) || args.length !== 2) {
        problems.push(`${argPath}: 'in' takes 2 arguments (a value and an array), got ${describeArgs(args)}`);
        return;
      }
      if (!Array.isArray(args[1]) && !(isObject(args[1]) && 'merge' in args[1])) {
        problems.push(
          `${argPath}[1]: 'in' must be given an array, got ${describeValue(args[1])}; against a string it matches substrings ("app" would match "myapp2")`,
        );
      }
      break;
    case 'if':
      if (!Array.isArray(args) || args.length === 0) {
        problems.push(`${argPath}: 'if' takes a list [condition, then, condition, then, …, else], got ${describeArgs(args)}`);
        return;
      }
      break;
    case 'fractional':
      checkFractional(args, argPath, problems);
      break;
    default:
      break;
  }
  checkLogic(args, argPath, evaluators, problems);
}

function checkFractional(args: JsonValue, path: string, problems: string[]): void {
  if (!Array.isArray(args) || args.length === 0) {
    problems.push(`${path}: 'fractional' takes [bucketing value?, [variant, weight], …], got ${describeArgs(args)}`);
    return;
  }
  const first = Array.isArray(args[0]) ? 0 : 1;
  const buckets = args.slice(first);
  if (buckets.length === 0) problems.push(`${path}: 'fractional' has no buckets`);
  let total = 0;
  buckets.forEach((bucket, i) => {
    const at = `${path}[${i + first}]`;
    if (!Array.isArray(bucket) || bucket.length === 0 || bucket.length > 2 || typeof bucket[0] !== 'string') {
      problems.push(`${at}: a bucket is [variant name, weight], got ${JSON.stringify(bucket)}`);
      return;
    }
    const weight = bucket.length === 2 ? bucket[1] : 1;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
      problems.push(`${at}[1]: a weight is a whole number 0 or more, got ${JSON.stringify(weight)}`);
      return;
    }
    total += weight;
  });
  if (buckets.length > 0 && total === 0) problems.push(`${path}: the bucket weights add up to 0`);
}

/** The variants a rule can return that are known without evaluating it. */
function resultsOf(node: JsonValue, path: string, evaluators: Record<string, JsonValue>, depth = 0): { variant: string; path: string }[] {
  if (depth > 50) return [];
  if (typeof node === 'string') return [{ variant: node, path }];
  if (typeof node === 'boolean' || typeof node === 'number') return [{ variant: String(node), path }];
  if (!isObject(node)) return [];
  const [op] = Object.keys(node);
  if (op === undefined) return [];
  const args = node[op]!;
  if (op === '$ref' && typeof args === 'string' && args in evaluators) return resultsOf(evaluators[args]!, path, evaluators, depth + 1);
  if (op === 'if' && Array.isArray(args)) {
    const out: { variant: string; path: string }[] = [];
    args.forEach((branch, i) => {
      const isResult = i % 2 === 1 || (i === args.length - 1 && args.length % 2 === 1 && args.length > 1);
      if (isResult) out.push(...resultsOf(branch, `${path}.if[${i}]`, evaluators, depth + 1));
    });
    return out;
  }
  if (op === 'fractional' && Array.isArray(args)) {
    return args.flatMap((bucket, i) =>
      Array.isArray(bucket) && typeof bucket[0] === 'string' ? [{ variant: bucket[0], path: `${path}.fractional[${i}][0]` }] : [],
    );
  }
  if (BOOLEAN_OPERATORS.has(op))
    return [
      { variant: 'true', path },
      { variant: 'false', path },
    ];
  return []; // computed at evaluation time (var, cat, …): nothing to check statically
}

// --- messages --------------------------------------------------------------------------------

function zodProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    return `${path || '(top level)'}: ${message}`;
  });
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${String(s)}` : String(s)), '');
}

function describeArgs(args: JsonValue): string {
  return Array.isArray(args) ? `${args.length} argument${args.length === 1 ? '' : 's'}` : describeValue(args);
}

function describeValue(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object')
    return `a rule (${Object.keys(v)
      .map((k) => `'${k}'`)
      .join(', ')})`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** "at line 3, column 7" from the position Node's JSON.parse reports. */
function jsonErrorPlace(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  if (!m && !/end of JSON input/.test(err.message)) return '';
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

/** The known operator nearest to a typo, if it is one or two edits away. */
function closest(op: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of KNOWN_OPERATORS) {
    const d = editDistance(op, name);
    if (d <= 2 && d < op.length && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function flagdCoreRefusal(text: string): string | undefined {
  const warnings: string[] = [];
  const collect = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  const logger = { error: collect, warn: collect, info: () => undefined, debug: () => undefined };
  try {
    new MemoryStorage(logger).setConfigurations(text, true);
  } catch (err) {
    return (
      schemaProblem((err as Error).message) ?? `flagd-core refuses the file: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 500)}`
    );
  }
  return warnings.length > 0 ? `flagd-core refuses the file: ${warnings.join('; ')}` : undefined;
}

/**
 * flagd-core's schema errors are ajv's full list (dozens of anyOf branches for one mistake); the
 * deepest path is where the mistake is, so that is what a person is shown.
 */
function schemaProblem(message: string): string | undefined {
  const start = message.indexOf('[');
  if (start < 0) return undefined;
  let errors: { instancePath?: unknown; keyword?: unknown; message?: unknown }[];
  try {
    errors = JSON.parse(message.slice(start)) as typeof errors;
  } catch {
    return undefined;
  }
  const parsed = errors
    .filter((e) => typeof e.instancePath === 'string' && typeof e.message === 'string')
    .map((e) => ({
      segments: (e.instancePath as string)
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
      keyword: e.keyword,
      message: e.message as string,
    }));
  if (parsed.length === 0) return undefined;
  const depth = Math.max(...parsed.map((e) => e.segments.length));
  const deepest = parsed.filter((e) => e.segments.length === depth);
  const specific = deepest.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const chosen = [...new Set((specific.length > 0 ? specific : deepest).map((e) => e.message))];
  const path = formatPath(deepest[0]!.segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  return `${path || '(top level)'}: flagd's schema refuses this: ${chosen.join('; ')}`;
}
