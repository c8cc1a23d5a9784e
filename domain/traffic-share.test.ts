import { classicLoadBalancerHealth, instancesToDisable, overTargetGroups, takesTraffic, targetGroupHealth } from './traffic-share';

test('⌈n·p/100⌉ of the group ends up disabled, counting the instances already out', () => {
  const ids = ['i-1', 'i-2', 'i-3', 'i-4'];
  expect(instancesToDisable(0, ids, 50)).toEqual(['i-1', 'i-2']);
  expect(instancesToDisable(0, ids, 25)).toEqual(['i-1']);
  // 3 instances at 50%: ⌈1.5⌉ = 2.
  expect(instancesToDisable(0, ids.slice(0, 3), 50)).toEqual(['i-1', 'i-2']);
  // 2 of 4 already out: 50% needs no more, 100% takes the rest.
  expect(instancesToDisable(2, ['i-3', 'i-4'], 50)).toEqual([]);
  expect(instancesToDisable(2, ['i-3', 'i-4'], 100)).toEqual(['i-3', 'i-4']);
  // More already out than asked for: nothing.
  expect(instancesToDisable(3, ['i-4'], 50)).toEqual([]);
  expect(() => instancesToDisable(0, ids, 101)).toThrow(RangeError);
});

test("health follows Clouddriver's mapping: up somewhere and down nowhere takes traffic", () => {
  expect(targetGroupHealth('healthy')).toBe('Up');
  expect(targetGroupHealth('unhealthy')).toBe('Down');
  expect(targetGroupHealth('unavailable')).toBe('Down');
  expect(targetGroupHealth('draining')).toBe('Draining');
  expect(classicLoadBalancerHealth('InService', undefined)).toBe('Up');
  expect(classicLoadBalancerHealth('OutOfService', 'Instance is not currently registered with the LoadBalancer.')).toBe('OutOfService');
  expect(classicLoadBalancerHealth('OutOfService', 'Instance has failed at least the UnhealthyThreshold')).toBe('Down');
  // Healthy in one target group, draining from another: the target-group health is Draining.
  expect(overTargetGroups(['Up', 'Draining'])).toBe('Draining');
  expect(overTargetGroups([])).toBeUndefined();
  expect(takesTraffic(['Up', undefined])).toBe(true);
  expect(takesTraffic(['Up', 'Down'])).toBe(false);
  expect(takesTraffic([undefined, undefined])).toBe(false);
  expect(takesTraffic(['Draining', 'OutOfService'])).toBe(false);
});
