/**
 * What Bosun does with each field of a Clouddriver description (DESIGN invariant 12: never
 * silently different). Every field Clouddriver's description class defines is in exactly one
 * column:
 * - honoured: Bosun acts on it as Clouddriver does (the operation's schema reads it);
 * - routed: Clouddriver acts on it and Bosun does not, so a task that sets it (to anything but a
 *   value with no effect) runs on the legacy Clouddriver, rule `unsupported-field`, or without
 *   one is refused with a 400 that names it;
 * - unused: Clouddriver's class declares it but its operation never reads it, so it is ignored
 *   here as there.
 * Fields no Clouddriver description defines (Orca posts the whole stage context: `refId`,
 * `strategy`, `stageEnabled`, …) are ignored, as Jackson ignores them in Clouddriver.
 * `extensions` are Bosun's own fields, which Clouddriver does not have.
 *
 * The committed table (docs/operations.md) is generated from these policies and the schemas, and
 * a test checks them against Clouddriver's description classes (docs/reference/).
 */

/** Why a field goes to the legacy Clouddriver, and which of its values change nothing there. */
export interface RoutedField {
  readonly why: string;
  /** Values with no effect in Clouddriver beyond the generic ones (absent, null, false, '', [], {}). */
  readonly noEffect?: (value: unknown) => boolean;
  /** For a field whose default is true: which values have an effect (replaces the generic test). */
  readonly effect?: (value: unknown) => boolean;
}

export interface FieldPolicy {
  readonly routed: Readonly<Record<string, RoutedField>>;
  readonly unused: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, string>>;
}

/**
 * Whether a value changes nothing in Clouddriver: absent, null, false, an empty string, list or
 * object, or an object all of whose values change nothing (`userDataOverride: {enabled: false}`).
 */
export function hasNoEffect(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(hasNoEffect);
  return false;
}

/** A field of a posted description that Bosun does not run, with why. */
export interface UnsupportedField {
  readonly field: string;
  readonly why: string;
}

/** The routed fields `description` sets to a value that has an effect in Clouddriver. */
export function unsupportedFieldsIn(policy: FieldPolicy, description: unknown): UnsupportedField[] {
  if (typeof description !== 'object' || description === null || Array.isArray(description)) return [];
  const d = description as Record<string, unknown>;
  const out: UnsupportedField[] = [];
  for (const [field, rule] of Object.entries(policy.routed)) {
    const value = fieldValue(d, field);
    if (rule.effect ? !rule.effect(value) : hasNoEffect(value) || rule.noEffect?.(value)) continue;
    out.push({ field, why: rule.why });
  }
  return out;
}

/** A field's value; `a.b` names a nested field, `a[].b` one in every element of the list `a`. */
function fieldValue(d: Record<string, unknown>, field: string): unknown {
  const list = /^([^.[\]]+)\[\]\.(.+)$/.exec(field);
  if (list) {
    const items = d[list[1]!];
    if (!Array.isArray(items)) return undefined;
    const values = items.map((i) => (typeof i === 'object' && i !== null ? fieldValue(i as Record<string, unknown>, list[2]!) : undefined));
    return values.filter((v) => !hasNoEffect(v));
  }
  const dot = field.indexOf('.');
  if (dot < 0) return d[field];
  const inner = d[field.slice(0, dot)];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? fieldValue(inner as Record<string, unknown>, field.slice(dot + 1))
    : undefined;
}

/** A boolean field set to false, as Jackson reads it (`false`, `"false"`, `0`). */
export function isFalse(value: unknown): boolean {
  return value === false || value === 0 || (typeof value === 'string' && value.trim().toLowerCase() === 'false');
}

/** One line per unsupported field, as a 400 names them: `[0].createServerGroup.spotPrice: …`. */
export function unsupportedFieldMessage(prefix: string, f: UnsupportedField): string {
  const path = [prefix, f.field].filter(Boolean).join('.');
  return `${path}: Bosun does not run this field (${f.why}); a task that sets it runs on the legacy Clouddriver`;
}
