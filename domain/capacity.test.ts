import { capacityProblem, convergence, formatCapacity, healthyTarget, resolveCapacity, sameCapacity } from './capacity';

test('formats capacity as min/desired/max, marking fields a request leaves out', () => {
  expect(formatCapacity({ min: 1, max: 5, desired: 3 })).toBe('1/3/5');
  expect(formatCapacity({ desired: 4 })).toBe('_/4/_');
});

test('a partial request keeps the current values of the fields it leaves out', () => {
  expect(resolveCapacity({ min: 1, max: 5, desired: 2 }, { desired: 4 })).toEqual({ min: 1, max: 5, desired: 4 });
  expect(resolveCapacity({ min: 1, max: 5, desired: 2 }, { min: 0, max: 0, desired: 0 })).toEqual({ min: 0, max: 0, desired: 0 });
});

test.each([
  [{ min: 3, max: 2, desired: 2 }, 'min 3 is greater than max 2'],
  [{ min: 2, max: 4, desired: 1 }, 'desired 1 is less than min 2'],
  [{ min: 0, max: 4, desired: 5 }, 'desired 5 is greater than max 4'],
])('refuses the impossible capacity %j', (c, problem) => {
  expect(capacityProblem(c)).toBe(problem);
});

test('accepts a possible capacity', () => {
  expect(capacityProblem({ min: 0, max: 0, desired: 0 })).toBeUndefined();
  expect(capacityProblem({ min: 1, max: 3, desired: 3 })).toBeUndefined();
});

test('compares only the fields a constraint names', () => {
  expect(sameCapacity({ min: 1, max: 3, desired: 2 }, { desired: 2 })).toBe(true);
  expect(sameCapacity({ min: 1, max: 3, desired: 2 }, { min: 1, desired: 3 })).toBe(false);
});

describe('convergence', () => {
  const inService = (id: string) => ({ instanceId: id, lifecycleState: 'InService', healthStatus: 'Healthy' });

  test('is reached with exactly desired instances, all in service and healthy', () => {
    const s = convergence('app-v001', 2, [inService('a'), inService('b')]);
    expect(s).toMatchObject({ converged: true, inService: 2, total: 2 });
    expect(s.message).toBe('app-v001 has 2 of 2 instances in service');
  });

  test('is not reached while an instance is pending or unhealthy', () => {
    expect(convergence('g', 2, [inService('a'), { instanceId: 'b', lifecycleState: 'Pending', healthStatus: 'Healthy' }]).converged).toBe(
      false,
    );
    expect(convergence('g', 1, [{ instanceId: 'a', lifecycleState: 'InService', healthStatus: 'Unhealthy' }]).converged).toBe(false);
  });

  test('a scale-in is not done until the surplus instances are gone', () => {
    const s = convergence('g', 1, [inService('a'), { instanceId: 'b', lifecycleState: 'Terminating', healthStatus: 'Healthy' }]);
    expect(s).toMatchObject({ converged: false, inService: 1, total: 2 });
    expect(s.message).toBe('g has 1 of 1 instances in service (2 in the group)');
    expect(
      convergence('g', 1, [inService('a'), { instanceId: 'b', lifecycleState: 'Terminated', healthStatus: 'Healthy' }]).converged,
    ).toBe(true);
  });

  test('zero desired is reached by an empty group', () => {
    expect(convergence('g', 0, []).converged).toBe(true);
  });
});

test('a deploy waits only for its healthy percentage', () => {
  expect(healthyTarget(3, 100)).toBe(3);
  expect(healthyTarget(3, 50)).toBe(2);
  expect(healthyTarget(0, 100)).toBe(0);
  const one = [
    { instanceId: 'a', lifecycleState: 'InService', healthStatus: 'Healthy' },
    { instanceId: 'b', lifecycleState: 'Pending', healthStatus: 'Healthy' },
  ];
  expect(convergence('g', 2, one, 1).converged).toBe(true);
  expect(convergence('g', 2, one, 2).converged).toBe(false);
});
