/**
 * The one describe of a single group, against a stub `send`: moto deletes a group at once, so a
 * group that is 'Delete in progress' can only be seen here.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from './aws-clients';
import { createServerGroupActivities } from './server-group';
import { describeOneServerGroup } from './server-group-lookup';
import { createTeardownActivities } from './teardown';

const ref = { account: 'test', region: 'us-east-1', serverGroupName: 'app-v001' };

function stub(groups: object[]) {
  const sent: unknown[] = [];
  const send = async (cmd: { input: unknown }) => {
    sent.push(cmd.input);
    return { AutoScalingGroups: groups };
  };
  const provider: AwsClientProvider = {
    clientsFor: () => ({ autoScaling: { send } }) as unknown as AwsClients,
    account: () => undefined,
    destroy: () => undefined,
  };
  return { send, sent, provider };
}

const deleting = {
  AutoScalingGroupName: 'app-v001',
  Status: 'Delete in progress',
  MinSize: 0,
  MaxSize: 2,
  DesiredCapacity: 1,
  Instances: [],
};
const live = { ...deleting, Status: undefined };

test('a group being deleted is returned, flagged as deleting', async () => {
  const { send, sent } = stub([deleting]);
  const found = await describeOneServerGroup({ send } as never, ref);
  expect(found).toMatchObject({ deleting: true, group: { AutoScalingGroupName: 'app-v001' } });
  expect(sent).toEqual([{ AutoScalingGroupNames: ['app-v001'] }]);
});

test('a live group is not deleting; a name that only prefixes another group is not found', async () => {
  expect(await describeOneServerGroup({ send: stub([live]).send } as never, ref)).toMatchObject({ deleting: false });
  expect(await describeOneServerGroup({ send: stub([{ ...live, AutoScalingGroupName: 'app-v0012' }]).send } as never, ref)).toBeUndefined();
});

test('callers choose: describeServerGroup treats a deleting group as gone, destroy as still there', async () => {
  const { provider } = stub([deleting]);
  const env = new MockActivityEnvironment();
  await expect(env.run(createServerGroupActivities({ aws: provider }).describeServerGroup, ref)).resolves.toBeNull();
  await expect(env.run(createTeardownActivities({ aws: provider }).forceDeleteServerGroup, ref)).resolves.toEqual({
    outcome: 'alreadyDeleting',
  });
  await expect(
    env.run(createTeardownActivities({ aws: provider }).waitForServerGroupDeleted, {
      ...ref,
      deadlineMs: Date.now() + 20,
      pollIntervalMs: 5,
    }),
  ).rejects.toMatchObject({ type: 'ServerGroupNotDeleted' });
});
