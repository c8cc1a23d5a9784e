/** What every benchmark gets from the runner. */
import type { TemporalDb } from '../../test/support/bench-stack';

export interface BenchContext {
  /** The smoke version: same code paths, small counts and short windows. */
  readonly quick: boolean;
  /** Scratch folder of this run (logs, databases, the workflow bundle); under .state/, not committed. */
  readonly runDir: string;
  readonly temporalDb: TemporalDb;
  /** Temporal dynamic config for experiments (`--temporal-config`); empty in the standard run. */
  readonly temporalConfig: readonly string[];
  /** Progress for the person watching (stderr), not results. */
  log(message: string): void;
}
