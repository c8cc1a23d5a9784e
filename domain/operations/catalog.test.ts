import { operationNames, TaskPriority, taskPriorityOf } from './catalog';

describe('taskPriorityOf', () => {
  test('a task with a deploy is bulk work; every other operation goes ahead of it', () => {
    expect(taskPriorityOf(['createServerGroup'])).toBe(TaskPriority.bulk);
    expect(taskPriorityOf(['cloneServerGroup'])).toBe(TaskPriority.bulk);
    expect(taskPriorityOf(['deployWithStrategy'])).toBe(TaskPriority.bulk);
    expect(taskPriorityOf(['allowLaunchDescription', 'createServerGroup'])).toBe(TaskPriority.bulk);
    for (const name of operationNames.filter((n) => !['createServerGroup', 'cloneServerGroup', 'deployWithStrategy'].includes(n))) {
      expect(taskPriorityOf([name])).toBe(TaskPriority.urgent);
    }
    expect(taskPriorityOf(['disableServerGroup', 'resizeServerGroup'])).toBe(TaskPriority.urgent);
  });

  test('keys are Temporal priority keys: 1 goes first, 3 is the default', () => {
    expect(TaskPriority.urgent).toBeLessThan(TaskPriority.bulk);
    expect(TaskPriority.bulk).toBe(3);
  });
});
