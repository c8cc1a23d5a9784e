import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../runtime';
import { describe as describeDoc, emptyDocument, excludeOperation, formatFlagDocument, includeOperation, onboard } from './flag-document';
import { existsSync } from 'node:fs';
import { breakStaleLock, changeFlagFile, readFlagFile, writeAtomically } from './flag-store';
import { createRouter } from './router';
import { MAX_FLAG_FILE_BYTES, validateFlagText } from './validate';

const fresh = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'bosun-store-')), 'routing.json');

test('a stale lock is broken by exactly one waiter: concurrent changes all land, none is lost', async () => {
  const file = fresh();
  await writeAtomically(file, formatFlagDocument(emptyDocument()));
  // A lock left by a process that died 10 minutes ago.
  writeFileSync(`${file}.lock`, '999999 dead\n');
  const old = new Date(Date.now() - 10 * 60_000);
  utimesSync(`${file}.lock`, old, old);
  const apps = Array.from({ length: 8 }, (_, i) => `app${i}`);
  await Promise.all(
    apps.map((app) =>
      changeFlagFile({ file, edit: (d) => onboard(d, app), who: 'test', action: 'onboard', args: { app }, reason: 'race' }),
    ),
  );
  expect([...describeDoc((await readFlagFile(file)).doc).applications].sort()).toEqual(apps);
});

test('a waiter that saw a stale lock does not remove the fresh lock another process took meanwhile', async () => {
  const file = fresh();
  // The stale lock was already broken and a live process holds a fresh one (age 0) when this
  // waiter, which judged the old one stale a moment ago, gets to remove it.
  writeFileSync(`${file}.lock`, `${process.pid} fresh\n`);
  await breakStaleLock(`${file}.lock`);
  expect(existsSync(`${file}.lock`)).toBe(true);
  expect(existsSync(`${file}.lock.break`)).toBe(false);
});

test('exclude-operation accepts a legacy key and stores the operation it names', async () => {
  const doc = excludeOperation(emptyDocument(), 'resizeAsgDescription');
  expect(describeDoc(doc).excludedOperations).toEqual(['resizeServerGroup']);
  expect(describeDoc(includeOperation(doc, 'resizeAsgDescription')).excludedOperations).toEqual([]);
  // Names Bosun does not run are kept as given (they go to legacy anyway).
  expect(describeDoc(excludeOperation(emptyDocument(), 'upsertAmazonDNSDescription')).excludedOperations).toEqual([
    'upsertAmazonDNSDescription',
  ]);
});

test('a deeply nested or huge flag file is refused with a reason', () => {
  const deep = `{"flags": {}, "metadata": {"x": ${'['.repeat(5_000)}${']'.repeat(5_000)}}}`;
  expect(validateFlagText(deep)).toEqual({ ok: false, problems: ['the file nests deeper than 64 levels'] });
  const huge = formatFlagDocument(onboard(emptyDocument(), 'a')).replace(
    '"a"',
    `"a", ${Array.from({ length: 60_000 }, (_, i) => `"app-${i}-padding"`).join(', ')}`,
  );
  expect(huge.length).toBeGreaterThan(MAX_FLAG_FILE_BYTES);
  expect(validateFlagText(huge)).toEqual({
    ok: false,
    problems: [`the file is ${Buffer.byteLength(huge)} bytes; the limit is ${MAX_FLAG_FILE_BYTES}`],
  });
});

test('a deeply nested or huge edit is refused like any broken edit: last good rules stay, state STALE (/health DEGRADED)', async () => {
  const file = fresh();
  await writeAtomically(file, formatFlagDocument(onboard(emptyDocument(), 'keep')));
  const router = await createRouter({ flagFile: file, logger: silentLogger, debounceMs: 5 });
  try {
    const ctx = { application: 'keep', account: 'test', cloudProvider: 'aws', operation: 'resizeServerGroup' };
    expect((await router.decide(ctx)).route).toBe('temporal');
    for (const bad of [`{"flags": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, `{"pad": "${'x'.repeat(2 * MAX_FLAG_FILE_BYTES)}"}`]) {
      await writeAtomically(file, bad);
      for (let i = 0; i < 100 && router.status().state !== 'STALE'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(router.status()).toMatchObject({
        state: 'STALE',
        lastError: expect.stringMatching(/nests deeper than 64 levels|bytes; the limit is/),
      });
      expect((await router.decide(ctx)).route).toBe('temporal');
      await writeAtomically(file, formatFlagDocument(onboard(emptyDocument(), 'keep')));
      for (let i = 0; i < 100 && router.status().state !== 'READY'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(router.status().state).toBe('READY');
    }
  } finally {
    await router.close();
  }
});
