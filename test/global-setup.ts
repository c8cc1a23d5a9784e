/**
 * One Temporal dev server (in memory, headless) and one moto per test run, started from the
 * pinned binaries and awaited properly; the workflow bundle is built once here so each test
 * file's worker starts in a fraction of a second. Addresses reach the test files through env.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/tools';
import type { TestStack } from './support/stack';
import { startTestServers } from './support/stack';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const { temporal, moto } = await startTestServers(path.join(PROJECT_ROOT, '.state', 'test', String(process.pid)));
  (globalThis as { __bosunStack?: TestStack }).__bosunStack = { temporal, moto };
  process.stdout.write(`\n[bosun test stack] Temporal ${temporal.address}, moto ${moto.endpoint}, ready in ${Date.now() - started} ms\n`);
}
