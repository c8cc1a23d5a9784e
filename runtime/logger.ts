/**
 * Bosun's logger: pino, one JSON object per line on stderr (stdout stays free for what a command
 * prints for a person, such as `npm start`'s banner), the shape log shippers expect. The Temporal
 * SDK's own log lines are routed through the same logger (runtime/bootstrap.ts).
 */
import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Where log lines go: stderr by default; tests and the CLI pass their own sink. */
export type LogSink = (line: string) => void;

/**
 * A pino logger at `level` with `bindings` on every line. Writes synchronously, so the last lines
 * before a crash are not lost in a buffer.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, sink?: LogSink): Logger {
  const destination = sink ? { write: (line: string) => sink(line.replace(/\n$/, '')) } : pino.destination({ fd: 2, sync: true });
  return pino(
    { level, base: bindings, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    destination,
  );
}

/** A logger that drops everything (tests that assert on behaviour, not on logs). */
export const silentLogger: Logger = pino({ level: 'silent' });
