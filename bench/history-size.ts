/**
 * `npm run bench -- --only history`: how big the history of a 50-operation, multi-region
 * orchestration grows (events and bytes, as Temporal counts them against its 51,200-event and
 * 50 MB limits, and its 10,240-event / 10 MB warnings). Runs the real workflow through the real
 * facade against a fresh dev server and moto (bench/results/history-size.md holds the rows of earlier code).
 */
import { temporal } from '@temporalio/proto';
import { ACCOUNT } from '../test/harness';
import { makeServerGroup } from '../test/support/server-group';
import { startStack } from '../test/support/stack';
import type { Bench, BenchContext, BenchmarkResult } from './lib/report';
import { atMost, resultOf } from './lib/report';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const GROUPS_PER_REGION = 4;
const OPERATIONS = 50;
export async function runHistorySize(ctx: BenchContext): Promise<BenchmarkResult> {
  const envelope = resultOf();
  const env = await startStack({
    servers: { dir: `${ctx.runDir}/history`, temporalDb: 'memory' },
    settings: { awsRetryWindowMs: 60_000, pollIntervalMs: 200 },
  });
  try {
    const groups: { region: string; name: string }[] = [];
    for (const region of REGIONS)
      for (let i = 0; i < GROUPS_PER_REGION; i++) {
        const { name } = await makeServerGroup(env, { prefix: 'hist', region, min: 1, max: 3, desired: 1 });
        groups.push({ region, name });
      }
    // A realistic mix: each group is taken out of service, resized, processes toggled, put back.
    const kinds = [
      'disableServerGroup',
      'resizeServerGroup',
      'suspendAsgProcessesDescription',
      'resumeAsgProcessesDescription',
      'enableServerGroup',
    ] as const;
    const operations = Array.from({ length: OPERATIONS }, (_, i) => {
      const g = groups[Math.floor(i / kinds.length) % groups.length]!;
      const ref = { credentials: ACCOUNT, region: g.region, serverGroupName: g.name };
      const kind = kinds[i % kinds.length]!;
      if (kind === 'resizeServerGroup') return { [kind]: { ...ref, capacity: { desired: 2 } } };
      if (kind === 'suspendAsgProcessesDescription' || kind === 'resumeAsgProcessesDescription')
        return { [kind]: { ...ref, processes: ['AZRebalance'] } };
      return { [kind]: ref };
    });
    const started = Date.now();
    const { id, task } = await env.run(operations);
    if (task.status.failed) throw new Error(`the orchestration failed: ${JSON.stringify(task.resultObjects[0])}`);
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const events = history.events?.length ?? 0;
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    const memoUpserts = (history.events ?? []).filter((e) => e.workflowPropertiesModifiedEventAttributes).length;
    const desc = await env.client.workflow.getHandle(id).describe();
    return envelope.finish({
      name: 'history',
      title: `History size: ${OPERATIONS} operations in ${REGIONS.length} regions in one orchestration`,
      setup: { operations: OPERATIONS, regions: REGIONS, groupsPerRegion: GROUPS_PER_REGION, temporalDb: 'memory' },
      tables: [
        {
          title: 'History of the orchestration',
          headers: ['history lines', 'events', 'bytes', 'memo upserts', 'historyLength (describe)', 'run ms'],
          rows: [[task.history.length, events, bytes, memoUpserts, desc.historyLength, Date.now() - started]],
          notes: ['bytes: the encoded history (what Temporal counts against its 50 MB limit / 10 MB warning)'],
        },
      ],
      bottleneck: [`${events} events and ${bytes} bytes, against Temporal's warnings at 10,240 events / 10 MB.`],
      interferencePercentOfCore: 0,
      data: { historyLines: task.history.length, events, bytes, memoUpserts, historyLength: desc.historyLength },
    });
  } finally {
    await env.close();
  }
}

export const history: Bench = {
  about: 'history size of a 50-operation, 3-region orchestration',
  standard: false,
  floorText: '<= 1,300 events and 270,000 bytes (measured 1,076 and 219,107; Temporal warns at 10,240 / 10 MB)',
  run: runHistorySize,
  floor: (d: { events: number; bytes: number }) => [atMost('history events', d.events, 1300), atMost('history bytes', d.bytes, 270_000)],
};
