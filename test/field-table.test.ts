/**
 * The field table: every field of every Clouddriver description Bosun runs is honoured, routed or
 * unused (docs/operations.md), checked against Clouddriver's own description classes
 * (docs/reference/clouddriver-fields.json), and the committed reference is what the code renders.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fieldPolicies, fieldTableOf, operationNames } from '../domain/operations';
import { clouddriverOperationOf, OPERATIONS_DOC, readReference, renderOperationsDoc } from '../infra/operations-doc';

const ref = readReference();
const COVERAGE_FILE = path.join(__dirname, '..', 'docs', 'reference', 'clouddriver-coverage-keys.json');
const top = (field: string) => field.split(/[.[]/)[0]!;

describe.each(operationNames.map((n) => [n]))('%s', (name) => {
  const clouddriver = clouddriverOperationOf(ref, name);
  const fields = clouddriver?.fields ?? [];
  const table = fieldTableOf(name, fields);

  test("every field of Clouddriver's description is in exactly one column", () => {
    const columns = (f: string) =>
      [table.honoured.includes(f) && 'honoured', f in table.routed && 'routed', f in table.unused && 'unused'].filter(Boolean);
    const wrong = fields.map((f) => [f, columns(f)] as const).filter(([, c]) => c.length !== 1);
    expect(wrong).toEqual([]);
  });

  test("no column names a field Clouddriver's description lacks, and Bosun's own fields are not Clouddriver's", () => {
    const known = new Set(fields);
    expect(table.honoured.filter((f) => !known.has(f))).toEqual([]);
    expect(Object.keys(fieldPolicies[name].routed).filter((f) => !known.has(top(f)))).toEqual([]);
    expect(Object.keys(table.unused).filter((f) => !known.has(f))).toEqual([]);
    expect(Object.keys(table.extensions).filter((f) => known.has(f))).toEqual([]);
  });
});

test("the operations reference lists every one of Clouddriver's AWS operations", () => {
  expect(Object.keys(ref.operations)).toHaveLength(48);
  for (const name of operationNames) expect(clouddriverOperationOf(ref, name) ?? name).toBeDefined();
});

test("the operations reference covers exactly the coverage list's operations (45 AWS, 3 entity tags)", () => {
  const coverage = JSON.parse(readFileSync(COVERAGE_FILE, 'utf8')) as { aws: string[][]; entityTags: string[][] };
  const byKey = new Map(Object.entries(ref.operations).flatMap(([name, o]) => o.keys.map((k) => [k, name] as const)));
  const resolved = (keys: string[]) => new Set(keys.map((k) => byKey.get(k) ?? `unknown key ${k}`));
  // A row names one operation by its keys, except the alarm row, which names upsert and delete.
  const aws = coverage.aws.flatMap((keys) => [...resolved(keys)]);
  const tags = coverage.entityTags.flatMap((keys) => [...resolved(keys)]);
  expect(new Set(aws).size).toBe(45);
  expect(new Set(tags).size).toBe(3);
  expect([...aws, ...tags].sort()).toEqual(Object.keys(ref.operations).sort());
});

test('docs/operations.md is what `npm run docs:operations` renders', () => {
  expect(readFileSync(OPERATIONS_DOC, 'utf8')).toBe(renderOperationsDoc(ref));
});
