/** Values every entry point derives from the configuration the same way. */
import type { TaskSettings } from '../domain/task-input';
import type { BosunConfig } from './index';

/** The Temporal frontend: the configured one, else the embedded dev server's loopback port. */
export function temporalAddress(config: BosunConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.localPort}`;
}

/** The AWS endpoint: explicit, else the embedded emulator in emulator mode, else real AWS (undefined). */
export function awsEndpoint(config: BosunConfig): string | undefined {
  if (config.aws.endpoint) return config.aws.endpoint;
  return config.aws.mode === 'emulator' ? `http://127.0.0.1:${config.aws.localPort}` : undefined;
}

/** What each task carries into its workflow: the retry window, the poll interval, the wait strategy. */
export function taskSettings(config: BosunConfig): TaskSettings {
  return {
    awsRetryWindowMs: config.tasks.retryWindowMs,
    pollIntervalMs: config.tasks.pollIntervalMs,
    waitStrategy: config.tasks.waitStrategy,
  };
}

/** Who may own an image looked up by name: every configured account, plus BOSUN_IMAGE_OWNERS. */
export function imageOwners(config: BosunConfig): string[] {
  const ids = config.aws.accounts.flatMap((a) => (a.accountId ? [a.accountId] : []));
  return [...new Set([...ids, ...config.images.allowedOwners])];
}
