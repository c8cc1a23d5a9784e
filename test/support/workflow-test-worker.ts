/**
 * A Bosun worker with stubbed activities on the test run's dev server (test/global-setup.ts),
 * under a `TestWorkflowEnvironment`: for workflow tests that need failures at exact points or
 * states moto cannot give. Started in a `beforeAll`, stopped in an `afterAll`.
 */
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { BosunWorker } from '../../worker/create-worker';
import { createBosunWorker } from '../../worker/create-worker';

/** Runs a worker on `taskQueue` with the activities `activities()` answers; the client is read inside tests. */
export function useWorkflowTestWorker(taskQueue: string, activities: () => Activities): { readonly client: Client } {
  let testEnv: TestWorkflowEnvironment | undefined;
  let worker: BosunWorker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // Installed by an earlier test file in this jest worker.
    }
    const address = process.env.BOSUN_TEST_TEMPORAL_ADDRESS;
    const bundle = process.env.BOSUN_TEST_WORKFLOW_BUNDLE;
    if (!address || !bundle) throw new Error('run with jest: test/global-setup.ts starts the dev server and builds the bundle');
    testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address });
    worker = await createBosunWorker({
      connection: testEnv.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: activities(),
      workflowBundle: { codePath: bundle },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await testEnv?.teardown();
  });
  return {
    get client() {
      if (!testEnv) throw new Error('the workflow test worker starts in beforeAll: use it inside a test');
      return testEnv.client;
    },
  };
}
