import { describe, expect, it } from 'vitest';
import { encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';
import { Store } from '../../src/server/store/store.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import { retentionOf, type AnyStore } from '../../src/server/store/open.js';
import { scheduleRetention, type Retention, type RetentionOptions } from '../../src/server/store/retention.js';
import { backendTitle, storeBackends, type Backend } from '../support/store-backends.js';

// One suite on SQLite (a real file) and PostgreSQL (a real server from a throwaway cluster).
const backends = storeBackends();

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const rec = (seq: number, timeMs: number, pos = true): TelemetryRecord => ({ seq, timeMs, lat7: pos ? 480_000_000 + seq : null, lon7: pos ? 110_000_000 : null, altDm: null, speedCms: null, courseCdeg: null, mode: pos ? 3 : 1, sats: null, hdopC: null });
const entries = (rs: TelemetryRecord[]) => rs.map((r) => ({ seq: r.seq, timeMs: r.timeMs, payload: encodeRecord(r) }));

/** The rows of `sql` as plain values (numbers where the database gives BIGINT as text). */
async function rows(s: IngestStore, sql: string): Promise<unknown[]> {
  const all = s instanceof PgStore ? ((await s.pool.query(sql)).rows as Record<string, unknown>[]) : ((s as Store).db.prepare(sql).all() as Record<string, unknown>[]);
  return all.map((r) => Object.values(r)[0]).map((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v));
}
const count = async (s: IngestStore, sql: string) => Number((await rows(s, sql))[0]);

/** truck-1: 2,500 records 40..35 days old, then 500 from the last day; truck-2 parked: 300 records 50 days old. */
async function fleet(s: IngestStore): Promise<void> {
  const old = Array.from({ length: 2500 }, (_, i) => rec(i + 1, NOW - 40 * DAY + i * 1000));
  const fresh = Array.from({ length: 500 }, (_, i) => rec(2502 + i, NOW - DAY + i * 1000));
  s.enqueue('truck-1', 'aaaaaaaaaaaaaaaa', entries([...old, ...fresh]), [{ type: 'GAP', seq: 2501, fromSeq: 1, toSeq: 1, fromTimeMs: NOW - 39 * DAY, toTimeMs: NOW - 39 * DAY, lost: 0, reason: 'dropped' }], () => {});
  s.enqueue('truck-2', 'bbbbbbbbbbbbbbbb', entries(Array.from({ length: 300 }, (_, i) => rec(i + 1, NOW - 50 * DAY + i * 1000, i < 299))), [], () => {});
  await s.commit();
}

async function pass(r: Retention): Promise<number[]> {
  const sizes: number[] = [];
  do sizes.push(await r.step());
  while (!r.passDone);
  return sizes;
}

describe.each(backends.map((b) => [backendTitle(b), b] as [string, Backend]))('retention (--keep-days) on %s', (_title, b) => {
  const open = async () => (await b.open(await b.newDb())) as AnyStore;
  const retention = (s: AnyStore, o: Partial<RetentionOptions> = {}) => retentionOf(s, { keepDays: 30, clock: () => NOW, ...o });

  it.skipIf(b.unavailable !== null)('removes what is older than N days in batches of at most batchRows, keeps the rest and each vehicle\'s newest position', async () => {
    const s = await open();
    await fleet(s);
    const r = retention(s, { batchRows: 400 });
    const sizes = await pass(r);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(400);
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(Math.ceil((2500 + 300) / 400));
    expect(await count(s, "SELECT COUNT(*) FROM records WHERE device = 'truck-1'")).toBe(500);
    expect(await count(s, "SELECT MIN(time_ms) FROM records WHERE device = 'truck-1'")).toBe(NOW - DAY);
    expect(await count(s, 'SELECT COUNT(*) FROM gaps')).toBe(0);
    // truck-2 is parked: its newest position (seq 299; seq 300 had no fix) stays, everything else goes
    expect(await rows(s, "SELECT seq FROM records WHERE device = 'truck-2'")).toEqual([299]);
    const v = await s.vehicle('truck-2');
    expect(v).toMatchObject({ records: 300, latest: { seq: 299 } });
    expect(r.totals).toMatchObject({ records: 2500 + 299, gaps: 1 });
    // ingest's commits still wait for durability after retention's own commits without it
    if (s instanceof Store) expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
    else expect(await rows(s, 'SHOW synchronous_commit')).toEqual(['on']);
    // a second pass finds nothing
    expect(await r.step()).toBe(0);
    expect(r.passDone).toBe(true);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('ingest goes on during the steps: records stored meanwhile are kept, old ones arriving late are removed next pass', async () => {
    const s = await open();
    await fleet(s);
    const r = retention(s, { batchRows: 300 });
    let acked = 0;
    for (let i = 0; !r.passDone || i === 0; i++) {
      s.enqueue('truck-3', 'cccccccccccccccc', entries([rec(i + 1, NOW - 1000 + i)]), [], () => acked++);
      // on PostgreSQL the step's transaction and the commit run at once on two connections
      await Promise.all([r.step(), s.commit()]);
    }
    expect(acked).toBeGreaterThan(5);
    expect(await count(s, "SELECT COUNT(*) FROM records WHERE device = 'truck-3'")).toBe(acked);
    // a backlog record 45 days old arrives after the pass: stored (and acked), gone at the next pass
    s.enqueue('truck-1', 'aaaaaaaaaaaaaaaa', entries([rec(9000, NOW - 45 * DAY)]), [], () => acked++);
    await s.commit();
    expect(await count(s, 'SELECT COUNT(*) FROM records WHERE seq = 9000')).toBe(1);
    await pass(r);
    expect(await count(s, 'SELECT COUNT(*) FROM records WHERE seq = 9000')).toBe(0);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('two retentions at once on one database (two ingest processes) remove each old row once between them', async () => {
    const s = await open();
    await fleet(s);
    const r1 = retention(s, { batchRows: 200 });
    const r2 = retention(s, { batchRows: 200 });
    await Promise.all([pass(r1), pass(r2)]);
    expect(r1.totals.records + r2.totals.records).toBe(2500 + 299);
    expect(r1.totals.gaps + r2.totals.gaps).toBe(1);
    expect(await count(s, 'SELECT COUNT(*) FROM records')).toBe(501);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('scheduleRetention runs passes in the background until stopped; stopping waits for a step under way', async () => {
    const s = await open();
    await fleet(s);
    const r = retention(s, { batchRows: 500 });
    const stop = scheduleRetention(r, { busyMs: 1, idleMs: 60_000 });
    const t0 = Date.now();
    while (!(r.passDone && r.totals.steps > 0) && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 5));
    await stop();
    expect(await count(s, 'SELECT COUNT(*) FROM records')).toBe(501);
    const steps = r.totals.steps;
    await new Promise((res) => setTimeout(res, 30));
    expect(r.totals.steps).toBe(steps);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('refuses keepDays <= 0', async () => {
    const s = await open();
    expect(() => retention(s, { keepDays: 0 })).toThrow(/keepDays must be above 0/);
    await s.close();
  });
});
