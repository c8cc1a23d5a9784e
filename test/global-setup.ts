/**
 * One Temporal dev server (in memory, headless) and one moto per test run, started from the
 * pinned binaries and awaited properly; the workflow bundle is built once here so each test
 * file's worker starts in a fraction of a second. Addresses reach the test files through env.
 */
import { writeWorkflowBundle } from '../worker/workflow-bundle';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { freePort, startMoto, startTemporalDevServer } from '../infra/stack';
import { PROJECT_ROOT } from '../infra/tools';
import type { TestStack } from './stack-handle';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // The SDK versions are pinned; its "Node 22 from 2027" notice would only bury test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = path.join(PROJECT_ROOT, '.state', 'test', String(process.pid));
  mkdirSync(dir, { recursive: true });
  const [temporal, moto] = await Promise.all([
    freePort().then((port) =>
      startTemporalDevServer({ port, headless: true, logFile: path.join(dir, 'temporal.log'), readyTimeoutMs: 120_000 }),
    ),
    freePort().then((port) => startMoto({ port, logFile: path.join(dir, 'moto.log'), readyTimeoutMs: 60_000 })),
  ]);
  (globalThis as { __bosunStack?: TestStack }).__bosunStack = { temporal, moto };

  // moto loads its AMI and instance-type catalogues on the first EC2 call (1-2 s); pay it once here.
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  ec2.destroy();

  const bundlePath = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));

  process.env.BOSUN_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.BOSUN_TEST_AWS_ENDPOINT = moto.endpoint;
  process.env.BOSUN_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.stdout.write(`\n[bosun test stack] Temporal ${temporal.address}, moto ${moto.endpoint}, ready in ${Date.now() - started} ms\n`);
}
