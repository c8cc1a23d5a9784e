import { z } from 'zod';
import { parseOperation } from '..';
import { parseAsJackson, withoutNulls } from './jackson-input';

const ref = { credentials: 'test', region: 'us-east-1', serverGroupName: 'app-v001' };

test('numbers and booleans sent as strings are read as Jackson reads them (templated pipeline parameters)', () => {
  const parsed = parseOperation('resizeServerGroup', {
    ...ref,
    capacity: { min: '1', max: '3', desired: ' 2 ' },
    waitForCapacity: 'FALSE',
  });
  expect(parsed).toMatchObject({
    ok: true,
    request: { description: { capacity: { min: 1, max: 3, desired: 2 }, waitForCapacity: false } },
  });
});

test('a number where a string is expected becomes its decimal text; an integer 0/1 is a boolean', () => {
  const schema = z.object({ stack: z.string(), on: z.boolean(), off: z.boolean() });
  expect(parseAsJackson(schema, { stack: 12, on: 1, off: 0 })).toMatchObject({
    success: true,
    data: { stack: '12', on: true, off: false },
  });
});

test('explicit null and an empty string for a number are absent', () => {
  const parsed = parseOperation('resizeServerGroup', {
    ...ref,
    capacity: { min: null, desired: '', max: 4 },
    application: null,
    moniker: null,
  });
  expect(parsed).toMatchObject({ ok: true, request: { description: { capacity: { max: 4 } } } });
  expect(withoutNulls({ a: null, b: [null, { c: null, d: 1 }] })).toEqual({ b: [null, { d: 1 }] });
});

test('what Jackson would refuse keeps the field-named message', () => {
  expect(parseOperation('resizeServerGroup', { ...ref, capacity: { min: 'one', max: 'true' } })).toEqual({
    ok: false,
    errors: ['capacity.min: must be a whole number', 'capacity.max: must be a whole number'],
  });
  expect(parseOperation('resizeServerGroup', { ...ref, capacity: { desired: 2 }, waitForCapacity: 'maybe' })).toMatchObject({
    ok: false,
    errors: [expect.stringMatching(/^waitForCapacity: /)],
  });
});

test('coercion reaches nested lists and records', () => {
  const schema = z.object({
    asgs: z.array(z.object({ capacity: z.object({ desired: z.number().int() }) })),
    tags: z.record(z.string(), z.string()),
  });
  expect(
    parseAsJackson(schema, { asgs: [{ capacity: { desired: '3' } }, { capacity: { desired: 4 } }], tags: { build: 42, ok: true } }),
  ).toMatchObject({
    success: true,
    data: { asgs: [{ capacity: { desired: 3 } }, { capacity: { desired: 4 } }], tags: { build: '42', ok: 'true' } },
  });
});
