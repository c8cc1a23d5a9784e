import { FailureType, isFailureType } from './failures';

test('every failure type is named after its key, so the catalogue reads as the UI shows it', () => {
  for (const [key, value] of Object.entries(FailureType)) expect(value).toBe(key);
});

test('AWS codes passed through are not Bosun failure types', () => {
  expect(isFailureType(FailureType.ServerGroupNotFound)).toBe(true);
  expect(isFailureType('Throttling')).toBe(false);
  expect(isFailureType(undefined)).toBe(false);
});
