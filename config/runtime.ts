import type { AwsClientSettings } from '../activities';
import type { BosunConfig } from './index';
import type { TaskSettings } from '../domain/task-input';

/** The Temporal frontend: the configured one, else the embedded dev server's loopback port. */
export function temporalAddress(config: BosunConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.localPort}`;
}

/** The AWS endpoint: explicit, else the embedded emulator in emulator mode, else real AWS. */
export function awsEndpoint(config: BosunConfig): string | undefined {
  if (config.aws.endpoint) return config.aws.endpoint;
  return config.aws.mode === 'emulator' ? `http://127.0.0.1:${config.aws.localPort}` : undefined;
}

export function awsClientSettings(config: BosunConfig, endpoint = awsEndpoint(config)): AwsClientSettings {
  return {
    accounts: config.aws.accounts,
    endpoint,
    emulator: config.aws.mode === 'emulator',
    maxAttempts: config.aws.sdkMaxAttempts,
  };
}

export function taskSettings(config: BosunConfig): TaskSettings {
  return { awsRetryWindowMs: config.aws.retryWindowMs, pollIntervalMs: config.aws.pollIntervalMs };
}
