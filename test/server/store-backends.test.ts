import { describe, expect, it } from 'vitest';
import { encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import type { TrackItem } from '../../src/server/store/query.js';
import { COLUMN_NAMES } from '../../src/server/store/columns.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { nmeaFixes, withSyntheticSensors } from '../support/codec-drive.js';
import { backendTitle, storeBackends, type Backend } from '../support/store-backends.js';

// The same store suite on SQLite (a real file) and PostgreSQL (a real server: a
// throwaway cluster made by initdb/pg_ctl for this file).
const backends = storeBackends();

const SPOOL = 'aaaaaaaaaaaaaaaa';
const T0 = 1_700_000_000_000;
const gnss = (seq: number, timeMs: number, over: Partial<TelemetryRecord> = {}): TelemetryRecord => ({
  seq, timeMs, lat7: 481_234_567 + seq, lon7: -1_234_567 - seq, altDm: 5123, speedCms: 1234, courseCdeg: 27_050, mode: 3, sats: 9, hdopC: 87, ...over,
});
const entry = (r: TelemetryRecord) => ({ seq: r.seq, timeMs: r.timeMs, payload: encodeRecord(r) });
const rec = (seq: number) => ({ seq, timeMs: 1_600_000_000_000 + seq * 1000, payload: Uint8Array.of(seq & 0xff, 1, 2) });

async function collect<T = TrackItem>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(backends.map((b) => [backendTitle(b), b] as [string, Backend]))('ingest store on %s', (_title, b) => {
  const open = async () => b.open(await b.newDb());

  it.skipIf(b.unavailable !== null)('stores a record retransmitted in the same and in a later commit once, counting duplicates; acks only after the commit', async () => {
    const db = await b.newDb();
    const s = await b.open(db);
    const acks: [number, number][][] = [];
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(3)], [], (r) => acks.push(r));
    s.enqueue('truck-1', 'aaaaaaaa', [rec(2), rec(3)], [], (r) => acks.push(r));
    expect(s.queued).toBe(5);
    const c = s.commit();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(3), rec(4)], [], (r) => acks.push(r));
    expect(await c).toBe(5);
    expect(acks).toEqual([[[1, 3]], [[2, 3]]]); // the batch queued during the commit waits for the next
    expect(await s.commit()).toBe(2);
    expect(acks).toEqual([[[1, 3]], [[2, 3]], [[3, 4]]]);
    expect(await s.seqs('truck-1')).toEqual([1, 2, 3, 4]);
    expect((await s.stats())[0]).toMatchObject({ device: 'truck-1', records: 4, duplicates: 3, lastSeq: 4 });
    await s.close();
    // the data is in the database, not in the process
    const again = await b.open(db);
    expect(await again.seqs('truck-1')).toEqual([1, 2, 3, 4]);
    await again.close();
  });

  it.skipIf(b.unavailable !== null)('keeps seqs of a replaced spool apart from the old one', async () => {
    const s = await open();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2)], [], () => {});
    s.enqueue('truck-1', 'bbbbbbbb', [rec(1)], [], () => {});
    await s.commit();
    expect(await s.seqs('truck-1', 'aaaaaaaa')).toEqual([1, 2]);
    expect(await s.seqs('truck-1', 'bbbbbbbb')).toEqual([1]);
    expect((await s.stats())[0]).toMatchObject({ records: 3, duplicates: 0 });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('stores gap markers and tells WELCOME which seqs in (acked, head] it holds', async () => {
    const s = await open();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(5), rec(6), rec(9)], [{ type: 'GAP', seq: 7, fromSeq: 3, toSeq: 4, fromTimeMs: 0, toTimeMs: 1, lost: 2 }], () => {});
    await s.commit();
    expect(await s.lookup('truck-1', 'aaaaaaaa', 1, 20, 100)).toEqual({ high: 9, stored: [[2, 2], [5, 7], [9, 9]] });
    expect(await s.lookup('truck-1', 'aaaaaaaa', 1, 20, 2)).toEqual({ high: 9, stored: [[2, 2], [5, 7]] });
    expect(await s.lookup('truck-1', 'aaaaaaaa', 9, 9, 100)).toEqual({ high: 9, stored: [] });
    expect(await s.lookup('truck-2', 'aaaaaaaa', 0, 20, 100)).toEqual({ high: 0, stored: [] });
    expect((await s.stats())[0]).toMatchObject({ gaps: 1, lost: 2 });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('a failing commit acks nothing and rejects', async () => {
    const s = await open();
    let acked = 0;
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1)], [], () => acked++);
    await b.sabotage(s);
    await expect(s.commit()).rejects.toThrow(/devices/);
    expect(acked).toBe(0);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('every field of the schema comes back in user units, NULL where the record has none; a payload that is no record is kept', async () => {
    const s = await open();
    const full = gnss(1, T0, { batteryMv: 27_812, rpm: 1450, coolantDc: 875, oilKpa: 310, fuelPm: 715, tyresKpa: [830, null, 790], cabinDc: -35, humidityPm: 553, ignition: true, faults: 0xffff_fffe });
    const bare = gnss(2, T0 + 1000, { lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null, mode: 1, sats: null, hdopC: null });
    s.enqueue('truck-1', SPOOL, [entry(full), entry(bare), { seq: 3, timeMs: T0 + 2000, payload: Uint8Array.of(0xff) }], [], () => {});
    await s.commit();
    const [a, c, d] = (await collect(s.track('truck-1', 0, 2 ** 45))) as (TrackItem & { kind: 'position' })[];
    expect(a).toMatchObject({
      lat: 48.1234568, lon: -0.1234568, altM: 512.3, speedMps: 12.34, courseDeg: 270.5, mode: 3, sats: 9, hdop: 0.87, ignition: true,
      batteryV: 27.812, rpm: 1450, coolantC: 87.5, oilKpa: 310, fuelPct: 71.5, tyresKpa: [830, null, 790], cabinC: -3.5, humidityPct: 55.3, faults: 0xffff_fffe,
    });
    expect(c).toMatchObject({ lat: null, lon: null, altM: null, speedMps: null, mode: 1, sats: null, ignition: null, batteryV: null, tyresKpa: null, faults: null });
    expect(d).toMatchObject({ seq: 3, mode: null, lat: null });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('CAN bus values read back as a Position: trouble codes as a list ([] = none), VIN only where sent', async () => {
    const s = await open();
    const can = { fuelRateMlh: 18_450, wheelSpeedCms: 1230, fuelUsedDl: 1_234_567, odometerM: 854_934_012, engineSecs: 45_000_180 };
    s.enqueue('truck-1', SPOOL, [entry(gnss(1, T0, { ...can, dtcs: [], vin: '1FUJGLDR0CSBM1234' })), entry(gnss(2, T0 + 1000, { ...can, dtcs: ['SPN 91 FMI 3'] })), entry(gnss(3, T0 + 2000))], [], () => {});
    await s.commit();
    const ps = (await collect(s.track('truck-1', 0, T0 + 10_000))).filter((x) => x.kind === 'position');
    expect(ps[0]).toMatchObject({ fuelRateLh: 18.45, wheelSpeedMps: 12.3, fuelUsedL: 123456.7, odometerKm: 854934.012, engineH: 12500.05, dtcs: [], vin: '1FUJGLDR0CSBM1234' });
    expect(ps[1]).toMatchObject({ dtcs: ['SPN 91 FMI 3'], vin: null });
    expect(ps[2]).toMatchObject({ fuelRateLh: null, wheelSpeedMps: null, fuelUsedL: null, odometerKm: null, engineH: null, dtcs: null, vin: null });
    const [v] = await s.vehicles();
    expect(v!.latest).toMatchObject({ seq: 3, dtcs: null });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('vehicles(): latest position by fix time; an older backlog record stored later does not replace it; notes are counted', async () => {
    const s = await open();
    s.noteHandshake('truck-1', '1.2.3');
    s.enqueue('truck-1', SPOOL, [entry(gnss(10, T0 + 10_000, { ignition: true }))], [], () => {});
    await s.commit();
    s.enqueue('truck-1', SPOOL, [entry(gnss(5, T0 + 5_000)), entry(gnss(11, T0 + 11_000, { lat7: null, lon7: null, mode: 1 }))], [], () => {});
    s.enqueue('truck-2', 'bbbbbbbbbbbbbbbb', [entry(gnss(1, T0, { lat7: null, lon7: null, mode: 1 }))], [], () => {});
    await s.commit();
    s.notePathChange('truck-1');
    s.noteClose('truck-1', 'idle');
    s.noteHandshake('truck-1', '1.2.4');
    await s.commit();
    const [v1, v2] = await s.vehicles();
    expect(v1).toMatchObject({ device: 'truck-1', records: 3, duplicates: 0, handshakes: 2, pathChanges: 1, firmware: '1.2.4', lastClose: 'idle' });
    expect(v1!.latest).toMatchObject({ seq: 10, timeMs: T0 + 10_000, lat: 48.1234577, lon: -0.1234577, ignition: true, speedMps: 12.34 });
    expect(v2).toMatchObject({ device: 'truck-2', records: 1, latest: null });
    expect(await s.vehicle('truck-3')).toBeNull();
    expect((await s.vehicle('truck-1'))!.latest!.seq).toBe(10);
    expect((await s.stats())[0]).toMatchObject({ lastSeq: 11, lastClose: 'idle' });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('track(): [from, to) in time order across spools, gaps with their reason in place, in small pages', async () => {
    const s = await open();
    const a = [1, 2, 3, 4].map((i) => entry(gnss(i, T0 + i * 1000)));
    const bb = [1, 2].map((i) => entry(gnss(i, T0 + (10 + i) * 1000)));
    s.enqueue('truck-1', SPOOL, a, [{ type: 'GAP', seq: 5, fromSeq: 6, toSeq: 9, fromTimeMs: T0 + 5000, toTimeMs: T0 + 9000, lost: 4, reason: 'thinned' }], () => {});
    s.enqueue('truck-1', 'bbbbbbbbbbbbbbbb', bb, [], () => {});
    s.enqueue('truck-2', SPOOL, [entry(gnss(1, T0 + 2000))], [], () => {});
    await s.commit();
    const all = await collect(s.track('truck-1', T0, T0 + 60_000, { pageRows: 2 }));
    expect(all.map((x) => (x.kind === 'gap' ? `gap:${x.reason}:${x.lost}` : `${x.spool[0]}${x.seq}`))).toEqual(['a1', 'a2', 'a3', 'a4', 'gap:thinned:4', 'b1', 'b2']);
    expect((await collect(s.track('truck-1', T0 + 2000, T0 + 4000, { pageRows: 1 }))).map((x) => x.seq)).toEqual([2, 3]);
    expect((await collect(s.track('truck-1', T0 + 7000, T0 + 12_000))).map((x) => x.kind)).toEqual(['gap', 'position']);
    expect(await collect(s.track('nobody', T0, T0 + 60_000))).toEqual([]);
    const pages = await collect(s.trackPages('truck-1', T0, T0 + 60_000, { pageRows: 3 }));
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(all);
    expect(await collect(s.trackPages('nobody', T0, T0 + 60_000))).toEqual([]);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('track() with columns: each position has its key, its times and those fields only, with the values of the whole read', async () => {
    const s = await open();
    const full = { batteryMv: 12_600, rpm: 1800, coolantDc: 853, tyresKpa: [820, null, 815], dtcs: ['SPN 91 FMI 3'], vin: '1FTFW1ET5DFA12345', ignition: true };
    s.enqueue('truck-1', SPOOL, [1, 2, 3].map((i) => entry(gnss(i, T0 + i * 1000, i === 2 ? {} : full))), [{ type: 'GAP', seq: 4, fromSeq: 5, toSeq: 6, fromTimeMs: T0 + 4000, toTimeMs: T0 + 6000, lost: 2, reason: 'thinned' }], () => {});
    await s.commit();
    const whole = await collect(s.track('truck-1', T0, T0 + 60_000));
    // in any order, each once: the fields come out in a record's own order
    const part = await collect(s.track('truck-1', T0, T0 + 60_000, { columns: ['tyres_kpa', 'lat', 'ignition', 'dtcs', 'lat'], pageRows: 2 }));
    expect(part.map((x) => x.kind)).toEqual(whole.map((x) => x.kind));
    for (const [i, x] of part.entries()) {
      const w = whole[i]!;
      if (x.kind === 'gap') {
        expect(x).toEqual(w);
        continue;
      }
      expect(Object.keys(x)).toEqual(['kind', 'device', 'spool', 'seq', 'timeMs', 'receivedMs', 'lat', 'ignition', 'tyresKpa', 'dtcs']);
      expect(x).toEqual(Object.fromEntries(Object.keys(x).map((k) => [k, (w as unknown as Record<string, unknown>)[k]])));
    }
    expect(part[0]).toMatchObject({ lat: 48.1234568, ignition: true, tyresKpa: [820, null, 815], dtcs: ['SPN 91 FMI 3'] });
    expect(part[1]).toMatchObject({ ignition: null, tyresKpa: null, dtcs: null });
    // every column asked for: the whole read
    expect(await collect(s.track('truck-1', T0, T0 + 60_000, { columns: [...COLUMN_NAMES] }))).toEqual(whole);
    expect((await collect(s.trackPages('truck-1', T0, T0 + 60_000, { columns: [] }))).flat().map((x) => Object.keys(x).length)).toEqual([6, 6, 6, 11]); // three positions, then the gap as it always is
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('a real drive comes back exactly (time, lat/lon to 1e-7, speed, battery)', async () => {
    const fixes = nmeaFixes('tizen_duesseldorf_2009_1hz.nmea');
    const s = await open();
    const rs = fixes.map((f, i) => withSyntheticSensors(recordFromFix(f, i + 1), i));
    for (let i = 0; i < rs.length; i += 100) s.enqueue('truck-1', SPOOL, rs.slice(i, i + 100).map(entry), [], () => {});
    await s.commit();
    const got = (await collect(s.track('truck-1', 0, 2 ** 45, { pageRows: 64 }))).filter((x) => x.kind === 'position');
    expect(got).toHaveLength(fixes.length);
    got.forEach((p, i) => {
      const r = rs[i]!;
      expect(p.timeMs).toBe(r.timeMs);
      expect(Math.round(p.lat! * 1e7)).toBe(r.lat7);
      expect(Math.round(p.lon! * 1e7)).toBe(r.lon7);
      expect(p.speedMps === null ? null : Math.round(p.speedMps * 100)).toBe(r.speedCms);
      expect(Math.round(p.batteryV! * 1000)).toBe(r.batteryMv);
    });
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('onCommit: after the COMMIT, before the ACK, only newly stored items; a throwing listener never stops ingest', async () => {
    const s = await open();
    const order: string[] = [];
    const seen: TrackItem[][] = [];
    s.onCommit((items) => {
      order.push('event');
      seen.push([...items]);
    });
    s.onCommit(() => {
      throw new Error('bad listener');
    });
    s.enqueue('truck-1', SPOOL, [entry(gnss(1, T0)), entry(gnss(2, T0 + 1000))], [{ type: 'GAP', seq: 3, fromSeq: 4, toSeq: 4, fromTimeMs: T0 + 2000, toTimeMs: T0 + 2000, lost: 1 }], () => order.push('ack'));
    await s.commit();
    s.enqueue('truck-1', SPOOL, [entry(gnss(2, T0 + 1000)), entry(gnss(4, T0 + 3000))], [], () => order.push('ack'));
    await s.commit();
    expect(order).toEqual(['event', 'ack', 'event', 'ack']);
    expect(seen.map((items) => items.map((x) => `${x.kind}${x.seq}`))).toEqual([['position1', 'position2', 'gap3'], ['position4']]);
    await s.close();
  });

  /** A store whose clock the test sets. */
  const clocked = async (o: { linkEventsPerVehicle?: number } = {}) => {
    const at = { now: T0 };
    return { s: await b.open(await b.newDb(), { clock: () => at.now, ...o }), at };
  };
  const entriesAt = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(gnss(from + i, T0 + (from + i) * 1000)));

  it.skipIf(b.unavailable !== null)('a session as the server sees it: connect, resends counted into one event, a gap, a path change, the disconnect with its reason', async () => {
    const { s, at } = await clocked();
    s.noteHandshake('truck-1', '1.2.3', 'from 10.0.0.5:40000, firmware 1.2.3, spool aaaaaaaaaaaaaaaa, backlog 10 (head 10, acked 0)');
    s.enqueue('truck-1', SPOOL, entriesAt(1, 10), [], () => {});
    await s.commit();
    // the device sends 1..10 again (its ack was lost) and 11..12 new, over two commits
    at.now = T0 + 5000;
    s.enqueue('truck-1', SPOOL, entriesAt(1, 6), [], () => {});
    await s.commit();
    at.now = T0 + 6000;
    s.enqueue('truck-1', SPOOL, entriesAt(7, 12), [{ type: 'GAP', seq: 13, fromSeq: 14, toSeq: 20, fromTimeMs: T0 + 14_000, toTimeMs: T0 + 20_000, lost: 7, reason: 'thinned' }], () => {});
    await s.commit();
    at.now = T0 + 7000;
    s.notePathChange('truck-1', '10.0.0.5:40000 -> 10.0.9.9:40001');
    s.noteClose('truck-1', 'peer: idle timeout');
    await s.commit();
    // a new session: its resends are a new event
    at.now = T0 + 9000;
    s.noteHandshake('truck-1', '1.2.3');
    s.enqueue('truck-1', SPOOL, entriesAt(12, 12), [], () => {});
    await s.commit();
    const a = await s.linkEvents('truck-1', T0, T0 + 60_000, 100);
    expect(a.truncated).toBe(false);
    expect(a.before).toBeNull();
    expect(a.events.map((e) => [e.n, e.atMs - T0, e.kind, e.count, e.detail, e.untilMs === null ? null : e.untilMs - T0])).toEqual([
      [1, 0, 'connect', null, 'from 10.0.0.5:40000, firmware 1.2.3, spool aaaaaaaaaaaaaaaa, backlog 10 (head 10, acked 0)', null],
      [2, 5000, 'resend', 10, null, 6000],
      [3, 6000, 'gap', 7, 'thinned, seqs 14-20', null],
      [4, 7000, 'path', null, '10.0.0.5:40000 -> 10.0.9.9:40001', null],
      [5, 7000, 'disconnect', null, 'peer: idle timeout', null],
      [6, 9000, 'connect', null, 'firmware 1.2.3', null],
      [7, 9000, 'resend', 1, null, 9000],
    ]);
    // a range after the disconnect says what came before it; limit and truncation
    const later = await s.linkEvents('truck-1', T0 + 8000, T0 + 60_000, 1);
    expect(later.before).toMatchObject({ n: 5, kind: 'disconnect' });
    expect(later.events.map((e) => e.n)).toEqual([6]);
    expect(later.truncated).toBe(true);
    expect((await s.linkEvents('truck-2', T0, T0 + 60_000, 100)).events).toEqual([]);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('detail text from the peer is stored without control characters and cut at 300 characters', async () => {
    const { s } = await clocked();
    s.noteHandshake('truck-1', 'x');
    s.noteClose('truck-1', `peer: app (0x100) \u001b[31mred\r\n${'z'.repeat(400)}`);
    await s.commit();
    const d = (await s.linkEvents('truck-1', 0, T0 + 1, 10)).events[1]!.detail!;
    expect(d.startsWith('peer: app (0x100) ?[31mred??zzz')).toBe(true);
    expect(d).toHaveLength(300);
    await s.close();
  });

  it.skipIf(b.unavailable !== null)('keeps the newest N per vehicle: a vehicle reconnecting in a loop cannot grow the table', async () => {
    const { s, at } = await clocked({ linkEventsPerVehicle: 50 });
    for (let i = 0; i < 120; i++) {
      at.now = T0 + i * 1000;
      s.noteHandshake('truck-1', 'x');
      s.noteClose('truck-1', `close ${i}`);
      await s.commit();
    }
    s.noteHandshake('truck-2', 'x');
    await s.commit();
    const a = await s.linkEvents('truck-1', 0, T0 + 1e6, 1000);
    expect(a.events).toHaveLength(50);
    expect(a.events[0]!.n).toBe(191);
    expect(a.events.at(-1)).toMatchObject({ n: 240, kind: 'disconnect', detail: 'close 119' });
    expect((await s.linkEvents('truck-1', 0, 2 ** 45, 1000)).events).toHaveLength(50);
    expect((await s.linkEvents('truck-2', 0, T0 + 1e6, 10)).events).toHaveLength(1);
    await s.close();
  });

});

describe.skipIf(backends[1]!.unavailable !== null)(`two ingest processes on one PostgreSQL${backends[1]!.unavailable ? ` (skipped: ${backends[1]!.unavailable})` : ''}`, () => {
  it('the same records committed by both at once are stored once; stored + duplicates add up', async () => {
    const pgb = backends[1]!;
    const db = await pgb.newDb();
    const [a, c] = (await Promise.all([pgb.open(db), pgb.open(db)])) as [IngestStore, IngestStore];
    const acks = { a: 0, c: 0 };
    for (let round = 0; round < 20; round++) {
      // overlapping halves, the devices in opposite orders in the two processes
      for (let d = 0; d < 10; d++) a.enqueue(`truck-${d}`, SPOOL, Array.from({ length: 60 }, (_, k) => rec(round * 100 + k + 1)), [], (_r, n) => (acks.a += n));
      for (let d = 9; d >= 0; d--) c.enqueue(`truck-${d}`, SPOOL, Array.from({ length: 60 }, (_, k) => rec(round * 100 + k + 41)), [], (_r, n) => (acks.c += n));
      await Promise.all([a.commit(), c.commit()]);
    }
    expect(acks).toEqual({ a: 20 * 10 * 60, c: 20 * 10 * 60 });
    const st = await a.stats();
    expect(st).toHaveLength(10);
    for (const s of st) {
      expect(s.records).toBe(20 * 100);
      expect(s.records + s.duplicates).toBe(20 * 120);
    }
    const seqs = await c.seqs('truck-3');
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toHaveLength(2000);
    expect(((await (a as PgStore).pool.query('SELECT count(*)::int AS n FROM records')).rows[0] as { n: number }).n).toBe(20_000);
    await Promise.all([a.close(), c.close()]);
  });
});
