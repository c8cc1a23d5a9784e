import { clusterName, nextSequence, parseServerGroupName, serverGroupName } from './frigga';

test.each([
  ['myapp', { app: 'myapp', stack: undefined, detail: undefined, cluster: 'myapp', sequence: undefined }],
  ['myapp-v003', { app: 'myapp', stack: undefined, detail: undefined, cluster: 'myapp', sequence: 3 }],
  ['myapp-main-v003', { app: 'myapp', stack: 'main', detail: undefined, cluster: 'myapp-main', sequence: 3 }],
  ['myapp-main-canary-east-v120', { app: 'myapp', stack: 'main', detail: 'canary-east', cluster: 'myapp-main-canary-east', sequence: 120 }],
  ['myapp--blue-v000', { app: 'myapp', stack: undefined, detail: 'blue', cluster: 'myapp--blue', sequence: 0 }],
])('parses %s', (name, expected) => {
  expect(parseServerGroupName(name)).toEqual(expected);
});

test('a -v suffix that is not three digits is part of the name', () => {
  expect(parseServerGroupName('myapp-v1')).toMatchObject({ app: 'myapp', stack: 'v1', sequence: undefined });
});

test('builds cluster and server group names', () => {
  expect(clusterName('app')).toBe('app');
  expect(clusterName('app', 'main')).toBe('app-main');
  expect(clusterName('app', undefined, 'blue')).toBe('app--blue');
  expect(clusterName('app', 'main', 'blue')).toBe('app-main-blue');
  expect(serverGroupName('app-main', 7)).toBe('app-main-v007');
  expect(serverGroupName('app-main', 1000)).toBe('app-main-v000');
});

test('refuses names that are not names', () => {
  expect(parseServerGroupName('')).toBeUndefined();
  expect(parseServerGroupName('-v001')).toBeUndefined();
});

test('the next sequence follows the highest one in use, wraps at 1000 and skips taken numbers', () => {
  expect(nextSequence([])).toBe(0);
  expect(nextSequence([0, 1, 2])).toBe(3);
  expect(nextSequence([5, 2])).toBe(6);
  expect(nextSequence([999, 0, 1])).toBe(2);
  expect(nextSequence(Array.from({ length: 1000 }, (_, i) => i))).toBeUndefined();
});
