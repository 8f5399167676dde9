import type { PageKey, PageQuery } from '../track.js';

const sameKey = (a: PageKey, b: PageKey) => a.t === b.t && a.seq === b.seq && a.spool === b.spool;

/**
 * A keyset-paged query that, when a full page it was asked for arrives, asks for the page
 * after it (on another pooled connection), so PostgreSQL reads and sends page k + 1 while
 * this process turns page k into text. At most one page is read ahead; one that nobody asks
 * for (the reader stopped) is dropped, and its error, if any, reaches only a reader that
 * asks for that page. `keyOf` is the key after a row, as track.ts's pager takes it.
 */
export function readAhead<T>(page: (k: PageKey, n: number) => Promise<T[]>, keyOf: (row: T) => PageKey): PageQuery<T> {
  let ahead: { k: PageKey; n: number; rows: Promise<T[]> } | null = null;
  return (k, n) => {
    const a = ahead;
    ahead = null;
    const rows = a && a.n === n && sameKey(a.k, k) ? a.rows : page(k, n);
    return rows.then((r) => {
      if (r.length === n) {
        const next = keyOf(r[r.length - 1]!);
        const p = page(next, n);
        p.catch(() => {}); // seen by the reader that asks for this page, nobody else
        ahead = { k: next, n, rows: p };
      }
      return r;
    });
  };
}
