/**
 * The chaos run's baseline runs the workflow's own operation code outside a workflow
 * (test/support/baseline-executor.ts). Without faults, a deploy and a resize must simply succeed
 * there: operation code that reaches for a workflow-only API (Temporal's `patched()` once did,
 * failing every baseline deploy and resize of the 2,000-operation run) fails here first.
 */
import { createActivities } from '../activities';
import type { AwsClientProvider } from '../activities';
import type { BaselineTask } from './support/baseline-executor';
import { createBaselineExecutor } from './support/baseline-executor';
import { parseSubmission } from '../client/facade/submission';
import { ACCOUNT, REGION, testAwsClients, testAwsProvider, uniqueName } from './harness';
import { emulatorAl2023Image } from './support/instances';

let provider: AwsClientProvider;
beforeAll(() => {
  provider = testAwsProvider();
});
afterAll(() => provider.destroy());

async function runBaseline(body: unknown): Promise<BaselineTask> {
  const submission = parseSubmission(body);
  if (!submission.ok) throw new Error(submission.errors.join('; '));
  const task: BaselineTask = {
    id: uniqueName('baseline'),
    requestId: undefined,
    startTimeMs: Date.now(),
    history: [],
    state: 'running',
    resultObjects: [],
    error: undefined,
  };
  await createBaselineExecutor(createActivities({ aws: provider }), 100).run(task, submission.operations);
  return task;
}

test('a deploy and then a resize of the new group succeed when run by the baseline', async () => {
  const app = uniqueName('base');
  const { name: amiName } = await emulatorAl2023Image(testAwsClients(provider).ec2);
  const deployed = await runBaseline([
    {
      createServerGroup: {
        credentials: ACCOUNT,
        application: app,
        stack: 'main',
        availabilityZones: { [REGION]: [`${REGION}a`] },
        capacity: { min: 1, max: 2, desired: 1 },
        amiName,
        instanceType: 't3.micro',
      },
    },
  ]);
  expect({ state: deployed.state, error: deployed.error }).toEqual({ state: 'succeeded', error: undefined });
  const group = `${app}-main-v000`;
  expect(deployed.resultObjects).toEqual([expect.objectContaining({ serverGroupNames: [`${REGION}:${group}`] })]);

  const resized = await runBaseline([
    { resizeServerGroup: { credentials: ACCOUNT, region: REGION, serverGroupName: group, capacity: { min: 1, desired: 2, max: 2 } } },
  ]);
  expect({ state: resized.state, error: resized.error }).toEqual({ state: 'succeeded', error: undefined });
  expect(resized.history.map((h) => h.status)).toContain(`Resized ${group} in ${REGION} to 1/2/2 (min/desired/max)`);
});
