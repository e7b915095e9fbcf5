/**
 * Every page of a paged read, following its tokens from the first page: the items in order and each
 * page's size (a short page in the middle is what a row skipped or counted twice looks like).
 * Stops after `maxPages`, so a token that never ends fails the test instead of hanging it.
 */
export async function walkPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken?: string | undefined }>,
  maxPages = 100,
): Promise<{ items: T[]; pageSizes: number[] }> {
  const items: T[] = [];
  const pageSizes: number[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    pageSizes.push(page.items.length);
    token = page.nextPageToken;
    if (pageSizes.length > maxPages) throw new Error(`more than ${maxPages} pages: the page token never ends`);
  } while (token !== undefined);
  return { items, pageSizes };
}
