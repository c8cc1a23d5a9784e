/**
 * When the process faults happen: seeded moments inside a window of the run, the same moments
 * (as offsets from the first POST) for Bosun and for the baseline.
 */
import { seededRandom } from '../../test/support/fault-proxy';

/** Kills of one service of a Temporal cluster (`--temporal cluster`); each is restarted after a pause. */
export const CLUSTER_FAULTS = ['history-kill', 'matching-kill', 'frontend-kill', 'temporal-worker-kill', 'postgres-kill'] as const;
export type ClusterFault = (typeof CLUSTER_FAULTS)[number];
export const PROCESS_FAULTS = ['worker-kill', 'server-restart', 'facade-restart', ...CLUSTER_FAULTS] as const;
export type ProcessFault = (typeof PROCESS_FAULTS)[number];

export function isClusterFault(kind: ProcessFault): kind is ClusterFault {
  return (CLUSTER_FAULTS as readonly string[]).includes(kind);
}

export interface PlannedFault {
  readonly kind: ProcessFault;
  /** Offset from the start of the run. */
  readonly atMs: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly workerKills: number;
  readonly serverRestarts: number;
  readonly facadeRestarts: number;
  /** How many kills of each cluster service (none unless the run has a cluster). */
  readonly clusterKills?: Partial<Record<ClusterFault, number>>;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Two faults never closer than this (each one is over before the next begins anyway). */
  readonly minGapMs: number;
}

export function planProcessFaults(o: ScheduleOptions): PlannedFault[] {
  const random = seededRandom(o.seed ^ 0xc4a05);
  const kinds: ProcessFault[] = [
    ...Array<ProcessFault>(Math.max(0, o.workerKills)).fill('worker-kill'),
    ...Array<ProcessFault>(Math.max(0, o.serverRestarts)).fill('server-restart'),
    ...Array<ProcessFault>(Math.max(0, o.facadeRestarts)).fill('facade-restart'),
    ...CLUSTER_FAULTS.flatMap((kind) => Array<ProcessFault>(Math.max(0, o.clusterKills?.[kind] ?? 0)).fill(kind)),
  ];
  // Fisher-Yates with the seeded stream, so the order of kinds is seeded too.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const span = Math.max(0, o.windowEndMs - o.windowStartMs);
  const offsets = kinds.map(() => o.windowStartMs + Math.round(random() * span)).sort((a, b) => a - b);
  for (let i = 1; i < offsets.length; i++) offsets[i] = Math.max(offsets[i]!, offsets[i - 1]! + o.minGapMs);
  return kinds.map((kind, i) => ({ kind, atMs: offsets[i]! }));
}
