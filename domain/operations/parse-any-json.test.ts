import fc from 'fast-check';
import type { OperationName } from '.';
import { operationNames, parseOperation, schemaFieldsOf } from '.';

/**
 * Whatever JSON a field holds, parsing answers (a request or problems that name fields) and
 * never throws: a throw is a 500 at the facade, where a 400 naming the field is owed. The
 * cross-field checks run beside the fields' own checks, so they meet ill-typed fields.
 */

// Enough valid fields that the cross-field checks of most operations get past "is required".
const BASE: Record<string, unknown> = {
  application: 'app',
  credentials: 'test',
  region: 'us-east-1',
  regions: ['us-east-1'],
  serverGroupName: 'app-v000',
  availabilityZones: { 'us-east-1': ['us-east-1a'] },
  capacity: { min: 1, max: 1, desired: 1 },
  amiName: 'ami-123',
  instanceType: 'm5.large',
};

// The shapes that broke checks before: a list where an object is read, a null entry, a string list.
const ODD_VALUES: readonly unknown[] = ['x', 5, { a: 1 }, [null], [1], ['x'], [{}], null, true, { 'us-east-1': null }];

function problemsOrRequest(name: OperationName, description: unknown): void {
  const parsed = parseOperation(name, description);
  if (!parsed.ok) {
    expect(parsed.errors.length).toBeGreaterThan(0);
    for (const e of parsed.errors) expect(typeof e).toBe('string');
  }
}

describe.each(operationNames.map((n) => [n]))('%s', (name) => {
  const fields = schemaFieldsOf(name);

  test('every field holding an odd value, alone or beside valid fields, is answered', () => {
    for (const field of fields) {
      for (const value of ODD_VALUES) {
        problemsOrRequest(name, { ...BASE, [field]: value });
        problemsOrRequest(name, { [field]: value });
      }
    }
  });

  test('any JSON in any of its fields is answered', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
        fc.boolean(),
        (odd, withBase) => {
          problemsOrRequest(name, withBase ? { ...BASE, ...odd } : odd);
        },
      ),
      { numRuns: 60 },
    );
  });
});

test('an instance-type override list that is not a list of objects is refused by name', () => {
  for (const value of ['x', [null]]) {
    const parsed = parseOperation('createServerGroup', { ...BASE, launchTemplateOverridesForInstanceType: value });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors).toEqual([expect.stringMatching(/^launchTemplateOverridesForInstanceType(\.0)?: /)]);
  }
});

test('a null ingress entry is refused by name', () => {
  const parsed = parseOperation('upsertSecurityGroup', { ...BASE, name: 'sg', vpcId: 'vpc-1', ipIngress: [null] });
  expect(parsed.ok ? [] : parsed.errors).toContainEqual(expect.stringMatching(/^ipIngress\.0: /));
});
