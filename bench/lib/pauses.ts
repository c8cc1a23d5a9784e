/**
 * Stalls of this process's own event loop (the facade and the load generator share it): the
 * event-loop delay histogram and garbage-collection pauses over a window. A latency tail that
 * matches these is the measuring process, not the system under test.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { round } from '../../test/support/child-process';

export interface Pauses {
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  readonly gcPauses: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
}

export class PauseWindow {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc: number[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gc.push(e.duration);
  });

  constructor() {
    this.histogram.enable();
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): Pauses {
    this.histogram.disable();
    this.observer.disconnect();
    return {
      eventLoopDelayP99Ms: round(this.histogram.percentile(99) / 1e6),
      eventLoopDelayMaxMs: round(this.histogram.max / 1e6),
      gcPauses: this.gc.length,
      gcTotalMs: round(this.gc.reduce((a, b) => a + b, 0)),
      gcMaxMs: round(Math.max(0, ...this.gc)),
    };
  }
}
