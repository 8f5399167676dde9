import type { GapRow, Position, TrackItem, TrackOptions } from './query.js';

/** Where a keyset page starts: after this (time, spool, seq). */
export interface PageKey {
  t: number;
  spool: string;
  seq: number;
}

/** The key after `row`, whose time is `t`: where the page after it starts. */
export const keyAfter = (row: { spool: string; seq: number }, t: number): PageKey => ({ t, spool: row.spool, seq: row.seq });

/** One page of at most `n` rows after `k`, at once (SQLite) or later (PostgreSQL). */
export type PageQuery<T> = (k: PageKey, n: number) => T[] | Promise<T[]>;

type Pos = { kind: 'position' } & Position;
type GapItem = { kind: 'gap' } & GapRow;

/** Lets the event loop run (ingest, other requests) between two pages of a long read. */
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * A vehicle's positions and gaps in time order, merged from two keyset-paged queries,
 * in pages of at most `pageRows` items; a position sorts before a gap that starts at
 * the same ms (the gap covers what follows). Memory holds one page of each query and
 * the page being handed out; the event loop runs between pages.
 */
export async function* mergeTrackPages(fromMs: number, opts: TrackOptions, recs: PageQuery<Pos>, gaps: PageQuery<GapItem>): AsyncGenerator<TrackItem[]> {
  const n = Math.max(1, Math.min(100_000, opts.pageRows ?? 2000));
  const rp = pager(recs, n, fromMs, (p) => p.timeMs);
  const gp = pager(gaps, n, Number.MIN_SAFE_INTEGER, (g) => g.fromMs);
  let r = await rp.next();
  let g = await gp.next();
  while (r || g) {
    const page: TrackItem[] = [];
    while ((r || g) && page.length < n) {
      if (r !== null && (g === null || r.timeMs <= g.fromMs)) {
        page.push(r);
        const x = rp.next();
        r = x instanceof Promise ? await x : x;
      } else {
        page.push(g!);
        const x = gp.next();
        g = x instanceof Promise ? await x : x;
      }
    }
    yield page;
    if (r || g) await yieldToLoop();
  }
}

/** mergeTrackPages() item by item. */
export async function* mergeTrack(fromMs: number, opts: TrackOptions, recs: PageQuery<Pos>, gaps: PageQuery<GapItem>): AsyncGenerator<TrackItem> {
  for await (const page of mergeTrackPages(fromMs, opts, recs, gaps)) yield* page;
}

/**
 * Walks a keyset-paged query item by item; next() is null at the end, and a Promise
 * only when it has to wait for a page. The first page starts after (start, '', -1):
 * every row at `start` is in it (spool ids are never empty).
 */
function pager<T extends { spool: string; seq: number }>(page: PageQuery<T>, n: number, start: number, timeOf: (x: T) => number): { next(): T | null | Promise<T | null> } {
  let key: PageKey = { t: start, spool: '', seq: -1 };
  let buf: T[] = [];
  let i = 0;
  let done = false;
  const fill = (rows: T[]): T | null => {
    buf = rows;
    i = 0;
    if (rows.length === 0) {
      done = true;
      return null;
    }
    const last = rows[rows.length - 1]!;
    key = keyAfter(last, timeOf(last));
    return buf[i++]!;
  };
  return {
    next() {
      if (i < buf.length) return buf[i++]!;
      if (done) return null;
      const rows = page(key, n);
      return rows instanceof Promise ? rows.then(fill) : fill(rows);
    },
  };
}
