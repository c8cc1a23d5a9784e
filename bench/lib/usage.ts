/**
 * Resource use over a measured window: CPU seconds and peak resident memory of each process a
 * benchmark started (and of the benchmark process itself), plus the CPU the rest of the machine
 * used meanwhile, which tells a slow run on a shared machine from a slow Bosun.
 */
import { cores, cpuSecondsOf, loadAverage, machineCpu, memoryOf, round } from '../../test/support/child-process';

export interface Watched {
  readonly name: string;
  readonly pid: number;
}

export interface ProcessUsage {
  readonly name: string;
  readonly pid: number;
  readonly cpuSeconds: number;
  /** CPU seconds over wall seconds: 100 = one core busy for the whole window. */
  readonly cpuPercentOfCore: number;
  /**
   * Share of the window's samples (every 500 ms) in which the process used at least 90% of a
   * core: near 100 for a single-threaded process (moto under the GIL, a Node event loop) that is
   * the bottleneck, even when its average looks moderate.
   */
  readonly percentOfTimeAbove90: number;
  /** Highest VmRSS seen by sampling during the window. */
  readonly peakRssMiB: number;
  readonly endRssMiB: number;
}

export interface WindowUsage {
  readonly wallSeconds: number;
  readonly processes: readonly ProcessUsage[];
  readonly machine: {
    readonly cores: number;
    /** Busy share of all cores, in percent of one core (200 = both cores of a 2-core machine). */
    readonly busyPercentOfCore: number;
    /** CPU of processes this benchmark did not start (another engineer's runs, the OS). */
    readonly othersCpuSeconds: number;
    readonly othersPercentOfCore: number;
  };
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
}

const MiB = 1024 * 1024;

export class UsageWindow {
  private readonly startedAt = performance.now();
  private readonly cpuStart = new Map<number, number>();
  private readonly peak = new Map<number, number>();
  private readonly lastCpu = new Map<number, { cpu: number; at: number }>();
  private readonly samples = new Map<number, { total: number; above90: number }>();
  private readonly machineStart = machineCpu();
  private readonly loadStart = loadAverage();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly watched: readonly Watched[],
    sampleMs: number,
  ) {
    for (const w of watched) this.cpuStart.set(w.pid, cpuSecondsOf(w.pid) ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  /** Starts measuring; the benchmark process itself is always included. */
  static start(watched: readonly Watched[], sampleMs = 500): UsageWindow {
    const all = watched.some((w) => w.pid === process.pid) ? watched : [{ name: 'bench (node)', pid: process.pid }, ...watched];
    return new UsageWindow(all, sampleMs);
  }

  private sample(): void {
    const at = performance.now();
    for (const w of this.watched) {
      const rss = memoryOf(w.pid)?.rssBytes ?? 0;
      this.peak.set(w.pid, Math.max(this.peak.get(w.pid) ?? 0, rss));
      const cpu = cpuSecondsOf(w.pid);
      const last = this.lastCpu.get(w.pid);
      if (cpu !== undefined && last && at > last.at) {
        const s = this.samples.get(w.pid) ?? { total: 0, above90: 0 };
        s.total++;
        if ((cpu - last.cpu) / ((at - last.at) / 1000) >= 0.9) s.above90++;
        this.samples.set(w.pid, s);
      }
      if (cpu !== undefined) this.lastCpu.set(w.pid, { cpu, at });
    }
  }

  stop(): WindowUsage {
    clearInterval(this.timer);
    this.sample();
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const machine = machineCpu();
    const processes = this.watched.map((w): ProcessUsage => {
      const cpu = Math.max(0, (cpuSecondsOf(w.pid) ?? this.cpuStart.get(w.pid) ?? 0) - (this.cpuStart.get(w.pid) ?? 0));
      return {
        name: w.name,
        pid: w.pid,
        cpuSeconds: round(cpu, 2),
        cpuPercentOfCore: round((cpu / wallSeconds) * 100),
        percentOfTimeAbove90: round(((this.samples.get(w.pid)?.above90 ?? 0) / Math.max(1, this.samples.get(w.pid)?.total ?? 0)) * 100),
        peakRssMiB: round((this.peak.get(w.pid) ?? 0) / MiB),
        endRssMiB: round((memoryOf(w.pid)?.rssBytes ?? 0) / MiB),
      };
    });
    const busy = machine.busySeconds - this.machineStart.busySeconds;
    const ours = processes.reduce((s, p) => s + p.cpuSeconds, 0);
    const others = Math.max(0, busy - ours);
    return {
      wallSeconds: round(wallSeconds, 2),
      processes,
      machine: {
        cores: cores(),
        busyPercentOfCore: round((busy / wallSeconds) * 100),
        othersCpuSeconds: round(others, 2),
        othersPercentOfCore: round((others / wallSeconds) * 100),
      },
      loadAverageStart: this.loadStart,
      loadAverageEnd: loadAverage(),
    };
  }
}
