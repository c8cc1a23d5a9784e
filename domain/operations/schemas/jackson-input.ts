/**
 * Input as Clouddriver reads it. Clouddriver binds descriptions with Jackson, whose default
 * scalar coercions accept what templated pipelines produce: `"3"` for a number, `"true"` for a
 * boolean, `3` for a string, an empty string or `null` for an absent value. Bosun's schemas say
 * what each field is; this module reads a description the way Jackson would before the schema
 * judges it, so valid Clouddriver input is never a 400 here.
 *
 * Coercion is driven by the schema's own complaints: a value is converted only where the schema
 * expected a number, boolean or string and got a string, number or boolean that Jackson would
 * convert. Nothing else changes, and what cannot be converted keeps the schema's message.
 */
import type { z } from 'zod';

/** Rounds of "parse, convert what Jackson would, parse again": nested conversions reveal each other rarely. */
const MAX_ROUNDS = 4;

/**
 * A copy of `value` without object properties whose value is `null`, at any depth: Clouddriver's
 * descriptions treat an explicit null as "not given". Array elements are kept (a null element is
 * the schema's to refuse).
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    out[k] = withoutNulls(v);
  }
  return out;
}

type Fix =
  { readonly path: readonly PropertyKey[]; readonly value: unknown } | { readonly path: readonly PropertyKey[]; readonly drop: true };

/** Jackson's reading of a string as a number: decimal notation, surrounding white space allowed. */
const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/** What Jackson makes of `input` where the schema expected `expected`; undefined = no conversion. */
function convert(expected: string, input: unknown): { value: unknown } | { drop: true } | undefined {
  if (expected === 'number' || expected === 'int') {
    if (typeof input === 'string') {
      if (input.trim() === '') return { drop: true };
      if (NUMERIC.test(input)) return { value: Number(input) };
    }
    return undefined;
  }
  if (expected === 'boolean') {
    if (typeof input === 'string') {
      const s = input.trim().toLowerCase();
      if (s === 'true') return { value: true };
      if (s === 'false') return { value: false };
      if (s === '') return { drop: true };
    }
    // Jackson reads an integer as a boolean: 0 is false, anything else true.
    if (typeof input === 'number' && Number.isInteger(input)) return { value: input !== 0 };
    return undefined;
  }
  if (expected === 'string') {
    if (typeof input === 'number' && Number.isFinite(input)) return { value: String(input) };
    if (typeof input === 'boolean') return { value: String(input) };
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function fixesOf(issues: readonly z.core.$ZodIssue[], root: unknown): Fix[] {
  const fixes: Fix[] = [];
  const visit = (list: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]) => {
    for (const issue of list) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'invalid_type') {
        const converted = convert(issue.expected, valueAt(root, path));
        if (converted) fixes.push({ path, ...converted });
      } else if (issue.code === 'invalid_union') {
        // A union names what each branch expected; the first convertible branch is Jackson's type.
        for (const branch of issue.errors) {
          const before = fixes.length;
          visit(branch, path);
          if (fixes.length > before) break;
        }
      }
    }
  };
  visit(issues, []);
  return fixes;
}

function applyFixes(root: unknown, fixes: readonly Fix[]): unknown {
  const copy = structuredClone(root);
  for (const fix of fixes) {
    if (fix.path.length === 0) continue;
    const parent = valueAt(copy, fix.path.slice(0, -1));
    if (typeof parent !== 'object' || parent === null) continue;
    const key = fix.path[fix.path.length - 1]!;
    if ('drop' in fix) delete (parent as Record<PropertyKey, unknown>)[key];
    else (parent as Record<PropertyKey, unknown>)[key] = fix.value;
  }
  return copy;
}

/**
 * Parses `input` with `schema` as Clouddriver would bind it: nulls are absent, and scalars the
 * schema refuses for their type are converted as Jackson converts them, then judged again. The
 * result is the schema's on the converted input (its errors, when something still does not fit).
 */
export function parseAsJackson<T>(schema: z.ZodType<T, unknown>, input: unknown): z.ZodSafeParseResult<T> {
  let current = withoutNulls(input);
  let result = schema.safeParse(current);
  for (let round = 0; round < MAX_ROUNDS && !result.success; round++) {
    const fixes = fixesOf(result.error.issues, current);
    if (fixes.length === 0) break;
    current = applyFixes(current, fixes);
    result = schema.safeParse(current);
  }
  return result;
}
