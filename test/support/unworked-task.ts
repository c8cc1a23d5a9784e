/**
 * A Bosun task (one resizeServerGroup) started on a queue no worker polls: it stays running,
 * with only its start in history, until the test terminates it.
 */
import type { Client } from '@temporalio/client';
import { startTask } from '../../client/facade/task-start';
import { resizeServerGroupSchema } from '../../domain/operations/schemas/resize-server-group';
import { ACCOUNT, REGION, testSettings } from '../harness';

export async function startUnworkedTask(
  client: Client,
  input: { readonly taskQueue: string; readonly serverGroupName: string },
): Promise<string> {
  const name = input.serverGroupName;
  const { id } = await startTask(client, {
    operations: [
      {
        name: 'resizeServerGroup',
        description: resizeServerGroupSchema.parse({
          credentials: ACCOUNT,
          region: REGION,
          serverGroupName: name,
          capacity: { min: 1, max: 1, desired: 1 },
        }),
      },
    ],
    targets: { application: name.split('-')[0] ?? name, accounts: [ACCOUNT], regions: [REGION], serverGroups: [name] },
    context: { cloudProvider: 'aws', user: 'tester' },
    settings: testSettings,
    taskQueue: input.taskQueue,
  });
  return id;
}
