import type { MotoServer, TemporalDevServer } from '../infra/stack';

/** What global setup hands to global teardown (same process, through globalThis). */
export interface TestStack {
  readonly temporal: TemporalDevServer;
  readonly moto: MotoServer;
}
