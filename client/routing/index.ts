/**
 * The onboarding flag: which operations run on Temporal and which go to the legacy Clouddriver.
 *
 * - `createRouter` — what the facade calls per request: `decide(ctx)` → temporal | legacy, the
 *   rule that decided and a sentence saying why; evaluated through OpenFeature (the flag file by
 *   default, or any provider), logged and counted in Prometheus, never throwing.
 * - `FlagFileProvider` — the OpenFeature provider over the flag file: strict validation, reload
 *   within a second of an edit, last good rules kept (STALE) when an edit is bad.
 * - `emptyDocument`, `onboard`, `offboard`, `setKillSwitch`, `setRollout`, … — pure edits of the
 *   flag document; `describe` reads it back; `validateFlagText` checks a file strictly.
 * - `changeFlagFile`, `readFlagFile` — read, validate, edit, write atomically and audit (the CLI).
 */
export type { FlagDefinition, FlagDocument, FlagKey, JsonValue, RoutingVariant, ContextKey } from './flag-schema';
export { CONTEXT_KEYS, FLAG_KEYS, KILL_SWITCH_VARIANTS, ROUTING_VARIANTS, ROUTING_VARIANT_VALUES, flagDocumentSchema } from './flag-schema';

export type { RoutingSummary } from './flag-document';
export {
  bumpVersion,
  describe,
  emptyDocument,
  excludeAccount,
  excludeOperation,
  FlagEditError,
  formatFlagDocument,
  includeAccount,
  includeOperation,
  offboard,
  onboard,
  plural,
  sameRules,
  setKillSwitch,
  setRollout,
  summaryLine,
} from './flag-document';

export type { KnownOperator, ValidationResult } from './validate';
export { KNOWN_OPERATORS, validateFlagDocument, validateFlagText } from './validate';

export type { FlagFileProviderOptions, FlagFileStatus, FlagState, OnInvalidAtStart, ReloadEvent } from './file-provider';
export { FLAG_FILE_PROVIDER_NAME, FLAG_STATES, FlagFileProvider, ON_INVALID_AT_START } from './file-provider';

export type { CreateRouterInput, Route, Router, RouterStatus, RoutingContext, RoutingDecision } from './router';
export { createRouter, ROUTES, SPECIAL_RULES } from './router';

export type { AuditEntry, ChangeFlagFileInput, ChangeResult, LoadedFlagFile } from './flag-store';
export { AUDIT_LOG_NAME, changeFlagFile, FlagFileError, readFlagFile, writeAtomically } from './flag-store';
