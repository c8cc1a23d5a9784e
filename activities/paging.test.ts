import { allPages } from './paging';

test('allPages follows the tokens until a page has none, keeping the order, and asks the first page with none', async () => {
  const pages: Record<string, { items: number[]; next: string | undefined }> = {
    first: { items: [1, 2], next: 'b' },
    b: { items: [], next: 'c' },
    c: { items: [3], next: '' },
  };
  const asked: (string | undefined)[] = [];
  const all = await allPages(async (token) => {
    asked.push(token);
    return pages[token ?? 'first']!;
  });
  expect(all).toEqual([1, 2, 3]);
  expect(asked).toEqual([undefined, 'b', 'c']);
});
