/**
 * The pure parts of the scale, scale-out and chaos-at-volume runs: their bounds grow with the
 * load but stay bounded, the 100-operation chaos run keeps its committed defaults, and the
 * scale-out verdict names the process that saturated with its numbers.
 */
import { levelBoundMs } from '../bench/bench-scale';
import { cpuVerdict as scaleOutVerdict } from '../bench/lib/report';
import { chaosOptionsSchema, scaledDefaults } from '../bench/chaos/chaos';
import type { ProcessUsage, WindowUsage } from '../bench/lib/usage';

const proc = (name: string, cpuPercentOfCore: number, percentOfTimeAbove90 = 0): ProcessUsage => ({
  name,
  pid: 1,
  cpuSeconds: cpuPercentOfCore,
  cpuPercentOfCore,
  percentOfTimeAbove90,
  peakRssMiB: 100,
  endRssMiB: 100,
});

const window = (busy: number, processes: ProcessUsage[]): WindowUsage => ({
  wallSeconds: 100,
  processes,
  machine: { cores: 2, busyPercentOfCore: busy, othersCpuSeconds: 0, othersPercentOfCore: 0 },
  loadAverageStart: [0, 0, 0],
  loadAverageEnd: [0, 0, 0],
});

test('a 1,000-task scale level gets 10 minutes, smaller ones 5, quick runs 2', () => {
  expect(levelBoundMs(100, false)).toBe(300_000);
  expect(levelBoundMs(1000, false)).toBe(600_000);
  expect(levelBoundMs(1000, true)).toBe(120_000);
});

test('chaos defaults are the schema defaults up to 100 operations and grow linearly above', () => {
  const schema = chaosOptionsSchema.parse({});
  const at100 = scaledDefaults(100);
  expect(at100).toEqual({
    rampMs: schema.rampMs,
    opTimeoutMs: schema.opTimeoutMs,
    phaseTimeoutMs: schema.phaseTimeoutMs,
    faultWindowEndMs: schema.faultWindowEndMs,
  });
  expect(scaledDefaults(2000)).toEqual({ rampMs: 200_000, opTimeoutMs: 1_800_000, phaseTimeoutMs: 4_000_000, faultWindowEndMs: 200_000 });
});

test('the scale-out verdict names a saturated machine and its biggest consumer', () => {
  const u = window(195, [proc('temporal dev server', 90), proc('moto', 70, 60), proc('bosun worker 1', 20), proc('facade 1', 10)]);
  expect(scaleOutVerdict(u, undefined)).toMatch(
    /^machine CPU saturated \(195% of 200%.*biggest consumer is Temporal, and moto ran at >= 90% of a core 60%/,
  );
});

test('a machine saturated by other processes is not blamed on Bosun', () => {
  const u = { ...window(199, [proc('temporal dev server', 25), proc('moto', 7)]) };
  const busy = { ...u, machine: { ...u.machine, othersPercentOfCore: 160 } };
  expect(scaleOutVerdict(busy, undefined)).toMatch(/^the machine was saturated by other processes \(160% of 200%, this run's 32%\)/);
});

test('the scale-out verdict names a pinned process, then SQLite, when the machine has room', () => {
  expect(scaleOutVerdict(window(120, [proc('moto', 95, 80), proc('temporal dev server', 20)]), undefined)).toMatch(
    /^moto pinned at one core/,
  );
  const sqlite = { busyPercentOfWall: 140, callsPerSecond: 300, meanMs: 5 } as Parameters<typeof scaleOutVerdict>[1];
  expect(scaleOutVerdict(window(120, [proc('temporal dev server', 60), proc('moto', 40)]), sqlite)).toMatch(/^Temporal SQLite writes/);
  expect(scaleOutVerdict(window(60, [proc('temporal dev server', 30)]), undefined)).toMatch(/^no process saturated/);
});
