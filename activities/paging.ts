/** One page of a paged AWS list: its items and the token (NextToken, NextMarker) of the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | undefined;
}

/**
 * Every item of a paged AWS list, in order: `page` asks for one page with the token the previous
 * answer gave (undefined for the first); an absent or empty token ends the list, as AWS marks the
 * last page.
 */
export async function allPages<T>(page: (token: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const { items, next } = await page(token);
    all.push(...items);
    token = next;
  } while (token);
  return all;
}
