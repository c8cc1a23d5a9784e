/**
 * The committed event histories the replay test runs against the current workflow code: where
 * they live, the payload key they were recorded with, and how to read them back.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/** Folder of recorded histories: one subfolder per recording (`v1`, `v2`…), one JSON file per run. */
export const HISTORIES_DIR = __dirname;

/**
 * The payload key the recorder's worker and facade use. It only guards test data (user data in
 * recorded inputs is made up), so it is derived from a public string instead of kept secret.
 */
export const HISTORIES_PAYLOAD_KEY = createHash('sha256').update('bosun recorded histories (test data only)').digest();

export interface RecordedHistory {
  /** `v1/createServerGroup-success`: the recording set and the file's name. */
  readonly name: string;
  readonly workflowId: string;
  readonly history: temporal.api.history.v1.IHistory;
}

type FromJson = (type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }) => temporal.api.history.v1.IHistory;

/**
 * Parses the CLI's JSON export with the protobufjs copy @temporalio/proto itself uses. The SDK's
 * `historyFromJSON` (and `runReplayHistories` given JSON) fails in this install with "type must
 * be a Type": @temporalio/common and @temporalio/proto each get their own nested protobufjs 8,
 * and one copy's protojson refuses the other copy's types.
 */
function historyFromJson(json: unknown): temporal.api.history.v1.IHistory {
  const { fromJson } = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as { fromJson: FromJson };
  const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
  return fromJson(root.lookupType('temporal.api.history.v1.History'), json, { ignoreUnknownFields: true });
}

/** Every recorded history, in a stable order. */
export function recordedHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  const out: RecordedHistory[] = [];
  for (const set of readdirSync(dir).sort()) {
    const folder = path.join(dir, set);
    if (!statSync(folder).isDirectory()) continue;
    for (const file of readdirSync(folder).sort()) {
      if (!file.endsWith('.json')) continue;
      const name = `${set}/${file.replace(/\.json$/, '')}`;
      const history = historyFromJson(JSON.parse(readFileSync(path.join(folder, file), 'utf8')));
      out.push({ name, workflowId: name, history });
    }
  }
  return out;
}
