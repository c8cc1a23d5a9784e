/**
 * How the facade reads what Temporal stores for its tasks, in one place: payloads through the
 * client's codecs and payload converter (as the SDK decodes a describe), and the visibility
 * query that lists a task queue's running workflows. Task reads (task-read.ts), re-runs
 * (task-start.ts) and the list that answers running tasks' polls (running-tasks.ts) all use it.
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { arrayFromPayloads, mapFromPayloads } from '@temporalio/common';
import { SearchAttributes } from '../../domain/search-attributes';

/** Payloads through the client's codecs: they encode in order, so they decode in reverse. */
async function decodeThroughCodecs(client: Client, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...client.options.loadedDataConverter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}

/** A workflow's arguments (its start event's input), decoded. */
export async function decodeArgs(client: Client, payloads: Payload[]): Promise<unknown[]> {
  return arrayFromPayloads(client.options.loadedDataConverter.payloadConverter, await decodeThroughCodecs(client, payloads));
}

/** A memo as Temporal stores it (one payload per key), decoded; undefined when it has no keys. */
export async function decodeMemo(
  client: Client,
  fields: Record<string, Payload> | null | undefined,
): Promise<Record<string, unknown> | undefined> {
  const entries = Object.entries(fields ?? {});
  if (entries.length === 0) return undefined;
  const decoded = await decodeThroughCodecs(
    client,
    entries.map(([, p]) => p),
  );
  return mapFromPayloads(
    client.options.loadedDataConverter.payloadConverter,
    Object.fromEntries(entries.map(([k], i) => [k, decoded[i]!])),
  );
}

/** Search attribute values are not encrypted: the payload converter alone reads them. */
export function searchAttributeValue(client: Client, payload: Payload | null | undefined): unknown {
  return payload ? client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : undefined;
}

/** Account names a visibility query may quote (anything else is never put in a query). */
const SAFE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/**
 * The visibility query of the running workflows on a task queue; with `accounts`, only those whose
 * primary account (BosunAccount) is one of them (the names must pass isSafeName).
 */
export function runningTasksQuery(taskQueue: string, accounts?: readonly string[]): string {
  const query = `TaskQueue = '${taskQueue.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
  if (!accounts) return query;
  return `${query} AND ${SearchAttributes.account.name} IN (${accounts.map((a) => `'${a}'`).join(', ')})`;
}
