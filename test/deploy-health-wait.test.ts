/**
 * Orca's `targetHealthyDeployPercentage` is Orca's to wait on (Clouddriver's deploy ignores it):
 * a deploy carrying it ends once the group is sized, however its instances fare, and keeps the
 * group. Bosun's own `waitForHealthyPercentage` makes the task wait, and fail and delete the
 * group when the instances never become healthy. moto's instances are healthy at once, so the
 * poll's describe is rewritten to show none in service (workflow-timer strategy: the wait polls
 * with describeServerGroup).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { defaultTaskSettings } from '../domain/task-input';
import { FaultPlan, mentions } from './faults';
import { REGION, testAwsClients, uniqueName, useTestEnv } from './harness';
import { emulatorAl2023Image } from './support/instances';
import { deployDescription } from './support/deploy-description';

const faults = new FaultPlan();
const env = useTestEnv({ faults, settings: { ...defaultTaskSettings, pollIntervalMs: 200, waitStrategy: 'workflow-timer' } });
let amiName: string;

beforeAll(async () => {
  ({ name: amiName } = await emulatorAl2023Image(testAwsClients(env.aws).ec2));
});

const deploy = (app: string, extra: Record<string, unknown>) =>
  deployDescription(app, amiName, { capacity: { min: 2, max: 2, desired: 2 }, waitTimeoutSeconds: 2, ...extra });

async function groupNamed(name: string) {
  const out = await testAwsClients(env.aws).autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}

test('targetHealthyDeployPercentage 100 with instances that never become healthy: the deploy succeeds and keeps the group', async () => {
  const app = uniqueName('thdp');
  const name = `${app}-main-v000`;
  faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 1000);
  const { task } = await env.run([{ createServerGroup: deploy(app, { targetHealthyDeployPercentage: 100 }) }]);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.resultObjects).toEqual([expect.objectContaining({ serverGroupNames: [`${REGION}:${name}`] })]);
  // The task never looked at health.
  expect(faults.calls('describeServerGroup', mentions(name))).toBe(0);
  expect(task.history.map((h) => h.status).filter((s) => s.startsWith('Waiting for'))).toEqual([]);
  expect(await groupNamed(name)).toMatchObject({ DesiredCapacity: 2 });
  faults.clear();
});

test('waitForHealthyPercentage 100 with instances that never become healthy: the deploy fails and deletes the group', async () => {
  const app = uniqueName('wfhp');
  const name = `${app}-main-v000`;
  faults.rewriteAnswer('describeServerGroup', mentions(name), (g) => g && { ...g, instances: [] }, 1000);
  const { task } = await env.run([{ createServerGroup: deploy(app, { waitForHealthyPercentage: 100 }) }]);
  faults.clear();
  expect(task.status).toMatchObject({ completed: true, failed: true });
  expect(task.resultObjects[0]).toMatchObject({ cause: 'CapacityNotReached' });
  expect(task.history.map((h) => h.status)).toEqual(
    expect.arrayContaining([
      `Waiting for 2 of 2 instances of ${name} to be healthy (100%)`,
      `Rolled back ${name} in ${REGION}: group deleted, launch template deleted`,
    ]),
  );
  expect(await groupNamed(name)).toBeUndefined();
});
