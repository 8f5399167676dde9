import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/server/store/pg/read-ahead.js';
import type { PageKey } from '../../src/server/store/track.js';

type Row = { t: number; spool: string; seq: number };

/** Rows 1..total (t = seq) paged by key, each page's query recorded when it is asked of the database. */
function table(total: number, fail?: number) {
  const asked: number[] = [];
  const resolvers: (() => void)[] = [];
  const page = (k: PageKey, n: number): Promise<Row[]> => {
    asked.push(k.seq);
    return new Promise((resolve, reject) => {
      resolvers.push(() => {
        if (k.seq === fail) reject(new Error(`page after ${k.seq} failed`));
        else resolve(Array.from({ length: Math.max(0, Math.min(n, total - k.seq)) }, (_, i) => ({ t: k.seq + 1 + i, spool: 'a', seq: k.seq + 1 + i })));
      });
    });
  };
  /** Answers every query asked so far. */
  const answer = async () => {
    for (const r of resolvers.splice(0)) r();
    await new Promise((r) => setImmediate(r));
  };
  return { page, asked, answer };
}

const keyOf = (r: Row) => ({ t: r.t, spool: r.spool, seq: r.seq });
const start = { t: 0, spool: '', seq: 0 };

describe('PostgreSQL track pages read one ahead', () => {
  it('asks for the next page when a full one arrives, hands the same rows, stops at a short page', async () => {
    const db = table(5);
    const q = readAhead(db.page, keyOf);
    const first = q(start, 2) as Promise<Row[]>;
    expect(db.asked).toEqual([0]);
    await db.answer();
    expect((await first).map((r) => r.seq)).toEqual([1, 2]);
    expect(db.asked).toEqual([0, 2]); // page 2 asked before the reader wants it
    const second = q(keyOf((await first)[1]!), 2) as Promise<Row[]>;
    expect(db.asked).toEqual([0, 2]); // not asked twice
    await db.answer();
    expect((await second).map((r) => r.seq)).toEqual([3, 4]);
    expect(db.asked).toEqual([0, 2, 4]); // one ahead, never more
    const third = q(keyOf((await second)[1]!), 2) as Promise<Row[]>;
    await db.answer();
    expect((await third).map((r) => r.seq)).toEqual([5]);
    expect(db.asked).toEqual([0, 2, 4]); // a short page is the last
  });

  it('a page asked for with another key or size is read afresh', async () => {
    const db = table(10);
    const q = readAhead(db.page, keyOf);
    const first = q(start, 2) as Promise<Row[]>;
    await db.answer();
    await first;
    const other = q({ t: 6, spool: 'a', seq: 6 }, 2) as Promise<Row[]>;
    expect(db.asked).toEqual([0, 2, 6]);
    await db.answer();
    expect((await other).map((r) => r.seq)).toEqual([7, 8]);
  });

  it('an error of a page read ahead reaches the reader that asks for it, and nobody when nobody does', async () => {
    const db = table(10, 2);
    const q = readAhead(db.page, keyOf);
    const first = q(start, 2) as Promise<Row[]>;
    await db.answer();
    await first;
    await db.answer(); // the page after 2 fails while nobody has asked for it yet: no unhandled rejection
    await expect(q({ t: 2, spool: 'a', seq: 2 }, 2)).rejects.toThrow('page after 2 failed');
  });
});
