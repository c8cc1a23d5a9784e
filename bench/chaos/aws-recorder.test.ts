/**
 * The count behind "no group is disabled twice": a disable repeated with no enable in between is
 * seen, a disable, enable, disable (the rollback scenario) is not, and disables beyond what the
 * posted operations call for are counted per group; groups of other runs are ignored.
 */
import type { TrafficChange } from './aws-recorder';
import { countDisables, disabledTwice } from './aws-recorder';
import { disabledBy } from './strategy-workload';

const changes = (group: string, ...list: TrafficChange['change'][]): TrafficChange[] => list.map((change) => ({ group, change }));

test('a disable again with no enable between counts, disable-enable-disable does not; beyond the plan counts per group', () => {
  const seen = [
    ...changes('ra-main-v000', 'disable'),
    // A retried disable after a lost answer: AWS performed both.
    ...changes('ra-main-v001', 'disable', 'disable', 'disable'),
    // The rollback scenario: disabled, enabled again, disabled; the plan has two disables.
    ...changes('ra-main-v002', 'disable', 'enable', 'disable'),
    // A disable no operation asked for (a rollback's undo, say).
    ...changes('ra-main-v003', 'disable'),
    ...changes('other-main-v000', 'disable', 'disable'),
  ];
  const planned = new Map([
    ['ra-main-v000', 1],
    ['ra-main-v001', 1],
    ['ra-main-v002', 2],
  ]);
  const counts = countDisables(seen, planned, 'ra');
  expect(counts).toMatchObject({
    disables: 7,
    disabledTwice: { groups: 1, disables: 2 },
    beyondPlan: { groups: 2, disables: 3 },
  });
  expect(counts.groups).toEqual([
    { group: 'ra-main-v001', changes: 'disable, disable, disable', planned: 1 },
    { group: 'ra-main-v003', changes: 'disable', planned: 0 },
  ]);
  expect(disabledTwice(counts)).toBe('1 / 2 (of 7 disables)');
  expect(countDisables([], planned, 'ra')).toMatchObject({ disables: 0, disabledTwice: { groups: 0 }, beyondPlan: { groups: 0 } });
});

test("the strategy plan's disables: the source, or every older group for highlander, none for a first group", () => {
  expect(disabledBy('redblack', ['a-v000', 'a-v001'])).toEqual(['a-v001']);
  expect(disabledBy('rollingredblack', ['a-v000', 'a-v001'])).toEqual(['a-v001']);
  expect(disabledBy('highlander', ['a-v000', 'a-v001'])).toEqual(['a-v000', 'a-v001']);
  expect(disabledBy('redblack', [])).toEqual([]);
});
