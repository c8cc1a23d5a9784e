import { fnv1a32, shortHash } from './hash';

test('matches the published FNV-1a 32-bit test vectors', () => {
  expect(fnv1a32('')).toBe(0x811c9dc5);
  expect(fnv1a32('a')).toBe(0xe40c292c);
  expect(fnv1a32('foobar')).toBe(0xbf9cf968);
});

test('shortHash is always 8 lowercase hex digits and stable', () => {
  expect(shortHash('')).toBe('811c9dc5');
  expect(shortHash('a')).toBe('e40c292c');
  for (const s of ['x', 'myapp-main-v001|task|0', '\u00e9\u4e2d\ud83d\ude00']) {
    expect(shortHash(s)).toMatch(/^[0-9a-f]{8}$/);
    expect(shortHash(s)).toBe(shortHash(s));
  }
  expect(shortHash('myapp-v001|t|0')).not.toBe(shortHash('myapp-v001|t|1'));
});
