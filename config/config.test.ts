import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, taskSettings } from './index';

test('the defaults run the embedded stack on loopback', () => {
  const c = loadConfig({}, '/srv/bosun');
  expect(c.temporal.address).toBeUndefined();
  expect(c.temporal).toMatchObject({ namespace: 'default', taskQueue: 'bosun', localPort: 7233, localUiPort: 8233 });
  expect(c.aws).toMatchObject({
    mode: 'emulator',
    region: 'us-east-1',
    sdkMaxAttempts: 1,
    accounts: [{ name: 'test', accountId: '123456789012' }],
  });
  expect(c.tasks).toEqual({ retryWindowMs: 7_200_000, pollIntervalMs: 10_000, waitStrategy: 'task-queue' });
  expect(c.facade).toMatchObject({ host: '127.0.0.1', port: 7002 });
  expect(c.stateDir).toBe('/srv/bosun/.state');
  expect(Object.isFrozen(c.aws)).toBe(true);
});

test('Temporal Cloud and real AWS are configuration only', () => {
  const c = loadConfig({
    TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'ns.acct',
    TEMPORAL_API_KEY: 'k',
    BOSUN_AWS: 'aws',
    AWS_REGION: 'eu-west-1',
    BOSUN_ACCOUNTS: 'prod,test',
    BOSUN_AWS_RETRY_WINDOW: '3h',
  });
  expect(c.temporal).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'k' });
  expect(c.aws).toMatchObject({
    mode: 'aws',
    region: 'eu-west-1',
    accounts: [{ name: 'prod' }, { name: 'test' }],
  });
  expect(c.tasks.retryWindowMs).toBe(10_800_000);
});

test('a config file is read and the environment wins over it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bosun-config-'));
  const file = path.join(dir, 'bosun.json');
  writeFileSync(
    file,
    JSON.stringify({ facade: { port: 9000 }, aws: { accounts: [{ name: 'prod', accountId: '111122223333', regions: ['us-west-2'] }] } }),
  );
  const c = loadConfig({ BOSUN_CONFIG_FILE: file, BOSUN_FACADE_PORT: '9100' });
  expect(c.facade.port).toBe(9100);
  expect(c.aws.accounts).toEqual([{ name: 'prod', accountId: '111122223333', regions: ['us-west-2'] }]);
});

test('a bad value is refused naming the variable to fix', () => {
  expect(() => loadConfig({ BOSUN_FACADE_PORT: 'seventy' })).toThrow(ConfigError);
  expect(() => loadConfig({ BOSUN_AWS_RETRY_WINDOW: 'forever' })).toThrow(/'forever' is not a duration.*BOSUN_AWS_RETRY_WINDOW/);
  expect(() => loadConfig({ BOSUN_AWS: 'gcp' })).toThrow(/aws.mode.*BOSUN_AWS/);
  expect(() => loadConfig({ BOSUN_CONFIG_FILE: '/nonexistent/bosun.json' })).toThrow(/BOSUN_CONFIG_FILE/);
});

test('activity slots and the workflow cache are settings; unset leaves the SDK defaults', () => {
  expect(loadConfig({}).worker).not.toHaveProperty('maxConcurrentActivities');
  const c = loadConfig({ BOSUN_MAX_CONCURRENT_ACTIVITIES: '16', BOSUN_MAX_CACHED_WORKFLOWS: '500' });
  expect(c.worker).toMatchObject({ maxConcurrentActivities: 16, maxCachedWorkflows: 500 });
  expect(() => loadConfig({ BOSUN_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(/BOSUN_MAX_CONCURRENT_ACTIVITIES/);
});

test('the wait strategy and the waits worker limit are settings, and tasks carry the strategy', () => {
  const defaults = loadConfig({});
  expect(defaults.tasks.waitStrategy).toBe('task-queue');
  expect(defaults.worker.maxConcurrentWaits).toBe(1000);
  const c = loadConfig({ BOSUN_WAIT_STRATEGY: 'workflow-timer', BOSUN_MAX_CONCURRENT_WAITS: '50' });
  expect(taskSettings(c)).toMatchObject({ waitStrategy: 'workflow-timer' });
  expect(c.worker.maxConcurrentWaits).toBe(50);
  expect(() => loadConfig({ BOSUN_WAIT_STRATEGY: 'sleep' })).toThrow(/tasks.waitStrategy.*BOSUN_WAIT_STRATEGY/);
  expect(() => loadConfig({ BOSUN_MAX_CONCURRENT_WAITS: '0' })).toThrow(/BOSUN_MAX_CONCURRENT_WAITS/);
});
