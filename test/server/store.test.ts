import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/server/store.js';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'gs-link-store-'));
  dirs.push(d);
  return join(d, 'ingest.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const rec = (seq: number) => ({ seq, timeMs: 1_600_000_000_000 + seq * 1000, payload: Uint8Array.of(seq & 0xff, 1, 2) });

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

  it('keeps seqs of a replaced spool (new card, seqs restart) apart from the old one', () => {
    const s = Store.open(tmpDb());
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2)], [], () => {});
    s.enqueue('truck-1', 'bbbbbbbb', [rec(1)], [], () => {});
    s.flush();
    expect(s.seqs('truck-1', 'aaaaaaaa')).toEqual([1, 2]);
    expect(s.seqs('truck-1', 'bbbbbbbb')).toEqual([1]);
    expect(s.stats()[0]).toMatchObject({ records: 3, duplicates: 0 });
    s.close();
  });

  it('stores gap markers and tells WELCOME which seqs in (acked, head] it holds', () => {
    const s = Store.open(tmpDb());
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(5), rec(6), rec(9)], [{ type: 'GAP', seq: 7, fromSeq: 3, toSeq: 4, fromTimeMs: 0, toTimeMs: 1, lost: 2 }], () => {});
    s.flush();
    expect(s.lookup('truck-1', 'aaaaaaaa', 1, 20, 100)).toEqual({ high: 9, stored: [[2, 2], [5, 7], [9, 9]] });
    expect(s.lookup('truck-1', 'aaaaaaaa', 1, 20, 2)).toEqual({ high: 9, stored: [[2, 2], [5, 7]] });
    expect(s.lookup('truck-2', 'aaaaaaaa', 0, 20, 100)).toEqual({ high: 0, stored: [] });
    expect(s.stats()[0]).toMatchObject({ gaps: 1, lost: 2 });
  });

  it('a failing transaction acks nothing', () => {
    const s = Store.open(tmpDb());
    let acked = 0;
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1)], [], () => acked++);
    s.db.exec('DROP TABLE devices');
    expect(() => s.flush()).toThrow(/devices/);
    expect(acked).toBe(0);
    s.close();
  });
});
