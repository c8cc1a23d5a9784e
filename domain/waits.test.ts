import { MAX_TIMER_POLLS_PER_WAIT, timerPollIntervalMs, waitsTaskQueue } from './waits';

test('the waits queue is derived from the task queue, the same way for workflows and workers', () => {
  expect(waitsTaskQueue('bosun')).toBe('bosun-waits');
});

test("a workflow-timer wait keeps the task's poll interval unless that would make too many polls", () => {
  expect(timerPollIntervalMs(10_000, 30 * 60_000)).toBe(10_000);
  expect(timerPollIntervalMs(10_000, 0)).toBe(10_000);
  expect(timerPollIntervalMs(10_000, -5)).toBe(10_000);
  const day = 24 * 60 * 60_000;
  expect(timerPollIntervalMs(10_000, day)).toBe(Math.ceil(day / MAX_TIMER_POLLS_PER_WAIT));
  expect(day / timerPollIntervalMs(10_000, day)).toBeLessThanOrEqual(MAX_TIMER_POLLS_PER_WAIT);
});
