/**
 * The shape of the flag file (flagd's JSON format) and the names Bosun gives its flags and
 * variants. Kept apart from the functions that edit and validate documents so both can share it.
 */
import { z } from 'zod';

/** The two flags Bosun evaluates; any other flag in the file is left alone. */
export const FLAG_KEYS = {
  /** Boolean: true runs the operation on Temporal, false forwards it to the legacy Clouddriver. */
  routing: 'temporal-routing',
  /** Boolean: on sends every request to legacy, whatever the routing flag says. */
  killSwitch: 'temporal-kill-switch',
} as const;
export type FlagKey = (typeof FLAG_KEYS)[keyof typeof FLAG_KEYS];

/**
 * Variants of `temporal-routing`. Each rule returns its own variant (all mapping to true/false)
 * because flagd's evaluation reason is TARGETING_MATCH for every rule: only the variant can say
 * which rule fired.
 */
export const ROUTING_VARIANTS = {
  accountExcluded: 'legacy-account-excluded',
  operationExcluded: 'legacy-operation-excluded',
  applicationExcluded: 'legacy-application-excluded',
  allowlisted: 'allowlisted',
  rolloutOn: 'rollout-on',
  rolloutOff: 'rollout-off',
  off: 'off',
} as const;
export type RoutingVariant = (typeof ROUTING_VARIANTS)[keyof typeof ROUTING_VARIANTS];

/** What each routing variant means; `true` is Temporal. */
export const ROUTING_VARIANT_VALUES: Readonly<Record<RoutingVariant, boolean>> = {
  'legacy-account-excluded': false,
  'legacy-operation-excluded': false,
  'legacy-application-excluded': false,
  allowlisted: true,
  'rollout-on': true,
  'rollout-off': false,
  off: false,
};

export const KILL_SWITCH_VARIANTS = { on: 'on', off: 'off' } as const;
export type KillSwitchVariant = (typeof KILL_SWITCH_VARIANTS)[keyof typeof KILL_SWITCH_VARIANTS];

/** The evaluation-context keys Bosun sends; targeting rules read them with `{"var": …}`. */
export const CONTEXT_KEYS = {
  application: 'application',
  account: 'account',
  region: 'region',
  cloudProvider: 'cloudProvider',
  operation: 'operation',
  user: 'user',
} as const;
export type ContextKey = (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS];

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

const metadataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]), {
  error: 'must be an object of strings, numbers and booleans',
});

const variantValueSchema = z.union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.json())], {
  error: 'a variant value must be a boolean, string, number or object',
});

export const flagSchema = z.strictObject({
  state: z.enum(['ENABLED', 'DISABLED'], { error: "must be 'ENABLED' or 'DISABLED'" }),
  variants: z
    .record(z.string().min(1, { error: 'a variant name must not be empty' }), variantValueSchema, {
      error: 'must be an object of variant name to value',
    })
    .refine((v) => Object.keys(v).length > 0, { error: 'must name at least one variant' }),
  /** null (or absent) means "the caller's default"; Bosun's own flags always name one. */
  defaultVariant: z.string({ error: 'must be a variant name (a string) or null' }).nullable().optional(),
  targeting: z.record(z.string(), z.json(), { error: 'must be a JsonLogic rule (an object)' }).optional(),
  metadata: metadataSchema.optional(),
});

export const flagDocumentSchema = z.strictObject({
  $schema: z.string().optional(),
  metadata: metadataSchema.optional(),
  /** flagd's shared rules, referenced from targeting as `{"$ref": "name"}`. */
  $evaluators: z.record(z.string().min(1), z.json()).optional(),
  flags: z.record(z.string().min(1, { error: 'a flag key must not be empty' }), flagSchema, {
    error: 'must be an object of flag key to flag',
  }),
});

export type FlagDefinition = z.infer<typeof flagSchema>;
export type FlagDocument = z.infer<typeof flagDocumentSchema>;
