import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { Store } from '../../src/server/store/store.js';
import { tmpDbs } from '../support/tmp-db.js';

const tmpDb = tmpDbs('gs-link-store-');
const rec = (seq: number) => ({ seq, timeMs: 1_600_000_000_000 + seq * 1000, payload: Uint8Array.of(seq & 0xff, 1, 2) });

// The store suite both databases pass is store-backends.test.ts; this is what only SQLite has.
describe('ingest store (real SQLite file)', () => {
  it('stores a record retransmitted in the same and in a later transaction once, counting duplicates', () => {
    const file = tmpDb();
    const s = Store.open(file);
    const acks: [number, number][][] = [];
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(3)], [], (r) => acks.push(r));
    s.enqueue('truck-1', 'aaaaaaaa', [rec(2), rec(3)], [], (r) => acks.push(r));
    expect(acks).toHaveLength(0); // nothing acked before COMMIT
    s.flush();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(3), rec(4)], [], (r) => acks.push(r));
    s.flush();
    expect(acks).toEqual([[[1, 3]], [[2, 3]], [[3, 4]]]);
    expect(s.seqs('truck-1')).toEqual([1, 2, 3, 4]);
    const st = s.stats()[0]!;
    expect(st).toMatchObject({ device: 'truck-1', records: 4, duplicates: 3, lastSeq: 4 });
    s.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // survives reopening: the data is in the file
    const again = Store.openReadOnly(file);
    expect(again.seqs('truck-1')).toEqual([1, 2, 3, 4]);
    again.close();
  });
});
