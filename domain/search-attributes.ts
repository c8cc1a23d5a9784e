import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Bosun's custom search attributes, so "every failed deploy of app X in us-east-1 today" is one
 * query in the Temporal UI. The `Bosun` prefix keeps them apart from other teams' attributes on
 * a shared cluster. Lists are KeywordList because one task can touch several regions, server
 * groups and operations (a multi-op task, a multi-region deploy); `=` still matches one value.
 */
export const SearchAttributes = {
  application: defineSearchAttributeKey('BosunApplication', SearchAttributeType.KEYWORD),
  account: defineSearchAttributeKey('BosunAccount', SearchAttributeType.KEYWORD),
  regions: defineSearchAttributeKey('BosunRegion', SearchAttributeType.KEYWORD_LIST),
  cloudProvider: defineSearchAttributeKey('BosunCloudProvider', SearchAttributeType.KEYWORD),
  operations: defineSearchAttributeKey('BosunOperation', SearchAttributeType.KEYWORD_LIST),
  serverGroups: defineSearchAttributeKey('BosunServerGroup', SearchAttributeType.KEYWORD_LIST),
  phase: defineSearchAttributeKey('BosunPhase', SearchAttributeType.KEYWORD),
  /** RUNNING, SUCCEEDED, FAILED or CANCELED in Clouddriver's sense (see TaskStatusValue). */
  taskStatus: defineSearchAttributeKey('BosunTaskStatus', SearchAttributeType.KEYWORD),
  /** A deployWithStrategy's strategy: `redblack`, `highlander`, `rollingredblack` or `none`. */
  strategy: defineSearchAttributeKey('BosunStrategy', SearchAttributeType.KEYWORD),
  /**
   * Where a deployWithStrategy stands: the step of its plan it runs (Orca's stage names, as on
   * the task's history), then `succeeded`, `rolledBack` or `cleanupIncomplete`. Apart from
   * `BosunPhase`, which is the task's history phase.
   */
  deployStep: defineSearchAttributeKey('BosunDeployStep', SearchAttributeType.KEYWORD),
} as const;

/** The CLI's names for the attribute types, for `temporal server start-dev --search-attribute`. */
const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** `NAME=Type` pairs, as the Temporal CLI registers them. */
export function searchAttributeRegistrations(): string[] {
  return Object.values(SearchAttributes).map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type] ?? 'Keyword'}`);
}

/** Values of `BosunTaskStatus`. A business failure completes the workflow, so this is how to find it. */
export const TaskStatusValue = {
  running: 'RUNNING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'CANCELED',
} as const;
export type TaskStatusValue = (typeof TaskStatusValue)[keyof typeof TaskStatusValue];
