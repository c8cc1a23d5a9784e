/**
 * Bosun's activities: every call to a cloud API. Workflows import only the type of
 * `createActivities`; the worker builds them with real clients, tests with emulator clients.
 */
import type { AwsClientProvider } from './aws-clients';
import { createServerGroupActivities } from './server-group';

export type { AwsAccount, AwsClientProvider, AwsClients, AwsClientSettings } from './aws-clients';
export { createAwsClientProvider } from './aws-clients';
export { awsCall, classifyAwsError } from './aws-errors';
export type { ServerGroupRef, ServerGroupSnapshot, UpdateCapacityInput, WaitForCapacityInput } from './server-group';

export interface ActivityDeps {
  readonly aws: AwsClientProvider;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createServerGroupActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
