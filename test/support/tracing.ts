/** Tracing for a test file with its spans kept in memory, for the file's tests to read. */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from '../../runtime';
import { startTracing } from '../../runtime';

export interface InMemoryTracing {
  /** Every span ended since the last `exporter.reset()`. */
  readonly exporter: InMemorySpanExporter;
  /** The running tracing; only inside a test or a hook registered after this one. */
  tracing(): Tracing;
}

/** Starts tracing as `serviceName` before the file's tests (register it before what needs it) and shuts it down after them. */
export function useInMemoryTracing(serviceName: string): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  let started: Tracing | undefined;
  beforeAll(async () => {
    started = await startTracing({ spanProcessor: new SimpleSpanProcessor(exporter), serviceName });
  });
  afterAll(async () => {
    await started?.shutdown();
  });
  return {
    exporter,
    tracing: () => {
      if (!started) throw new Error('tracing starts in beforeAll: use it inside a test or a later hook');
      return started;
    },
  };
}
