/**
 * What every activity factory is built from. The worker passes real clients; tests pass emulator
 * or fake clients and leave the optional parts to their defaults.
 */
import type { AwsClientProvider } from './aws-clients';
import type { GroupPolls } from './group-polls';

export interface ActivityDeps {
  readonly aws: AwsClientProvider;
  /**
   * Who may own an image found by name, besides the deploying account (`self`): the configured
   * accounts' ids and an allow-list (ids, `amazon`, `aws-marketplace`; config/derived.ts
   * imageOwners). Anyone can publish a public image under any name, so a lookup by name without
   * this filter can launch a stranger's.
   */
  readonly imageOwners?: readonly string[] | undefined;
  /** The waits' batched looks (group-polls.ts); one per worker, shared by the capacity and deletion waits. */
  readonly groupPolls?: GroupPolls | undefined;
}
