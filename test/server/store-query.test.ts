import { describe, expect, it } from 'vitest';
import { encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';
import { codecBatchPacker } from '../../src/telemetry/record-codec.js';
import { Store } from '../../src/server/store/store.js';
import { tmpDbs } from '../support/tmp-db.js';

const tmpDb = tmpDbs('gs-store-query-');

const SPOOL = 'aaaaaaaaaaaaaaaa';
const T0 = 1_700_000_000_000;
const gnss = (seq: number, timeMs: number, over: Partial<TelemetryRecord> = {}): TelemetryRecord => ({
  seq, timeMs, lat7: 481_234_567 + seq, lon7: -1_234_567 - seq, altDm: 5123, speedCms: 1234, courseCdeg: 27_050, mode: 3, sats: 9, hdopC: 87, ...over,
});
const entry = (r: TelemetryRecord) => ({ seq: r.seq, timeMs: r.timeMs, payload: encodeRecord(r) });

// Queries, exactly-once and the commit listeners on both databases: store-backends.test.ts.
describe('decoded columns (real SQLite file)', () => {
  it('stores every field of the schema in user units, NULL where the record has none', () => {
    const s = Store.open(tmpDb());
    const full = gnss(1, T0, { batteryMv: 27_812, rpm: 1450, coolantDc: 875, oilKpa: 310, fuelPm: 715, tyresKpa: [830, null, 790], cabinDc: -35, humidityPm: 553, ignition: true, faults: 5,
      fuelRateMlh: 18_450, wheelSpeedCms: 1230, fuelUsedDl: 1_234_567, odometerM: 854_934_012, engineSecs: 45_000_180, dtcs: ['SPN 91 FMI 3', 'P0301'], vin: '1FUJGLDR0CSBM1234' });
    const bare = gnss(2, T0 + 1000, { lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null, mode: 1, sats: null, hdopC: null });
    s.enqueue('truck-1', SPOOL, [entry(full), entry(bare), { seq: 3, timeMs: T0 + 2000, payload: Uint8Array.of(0xff) }], [], () => {});
    s.flush();
    const rows = s.db.prepare('SELECT * FROM records ORDER BY seq').all() as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({
      lat: 48.1234568, lon: -0.1234568, alt_m: 512.3, speed_mps: 12.34, course_deg: 270.5, mode: 3, sats: 9, hdop: 0.87, ignition: 1,
      battery_v: 27.812, rpm: 1450, coolant_c: 87.5, oil_kpa: 310, fuel_pct: 71.5, tyres_kpa: '[830,null,790]', cabin_c: -3.5, humidity_pct: 55.3, faults: 5,
      fuel_rate_lh: 18.45, wheel_speed_mps: 12.3, fuel_used_l: 123456.7, odometer_km: 854934.012, engine_h: 12500.05, dtcs: '["SPN 91 FMI 3","P0301"]', vin: '1FUJGLDR0CSBM1234',
    });
    expect(rows[1]).toMatchObject({ lat: null, lon: null, alt_m: null, speed_mps: null, course_deg: null, mode: 1, sats: null, hdop: null, ignition: null, battery_v: null, rpm: null, tyres_kpa: null, faults: null });
    expect(rows[1]).toMatchObject({ fuel_rate_lh: null, wheel_speed_mps: null, fuel_used_l: null, odometer_km: null, engine_h: null, dtcs: null, vin: null });
    // Not a telemetry record: stored (never lost) with its payload, every decoded column NULL.
    expect(rows[2]).toMatchObject({ seq: 3, mode: null, lat: null, dtcs: null, payload: Buffer.from([0xff]) });
    // the wire values come back exactly from the user units
    expect([Math.round((rows[0]!.engine_h as number) * 3600), Math.round((rows[0]!.odometer_km as number) * 1000), Math.round((rows[0]!.fuel_rate_lh as number) * 1000)]).toEqual([45_000_180, 854_934_012, 18_450]);
    s.close();
  });

  it('uses the record a PACKED unpacker attached instead of decoding the payload again', () => {
    let decoded = 0;
    const s = Store.open(tmpDb(), {
      decode: () => {
        decoded++;
        return null;
      },
    });
    const rs = [gnss(1, T0), gnss(2, T0 + 1000)];
    const entries = codecBatchPacker.unpack([1, 2], codecBatchPacker.pack(rs.map(entry))!);
    s.enqueue('truck-1', SPOOL, entries, [], () => {});
    s.enqueue('truck-1', SPOOL, [entry(gnss(3, T0 + 2000))], [], () => {});
    s.flush();
    expect(decoded).toBe(1); // only the plain BATCH entry
    expect(s.db.prepare('SELECT seq, lat FROM records ORDER BY seq').all()).toEqual([{ seq: 1, lat: 48.1234568 }, { seq: 2, lat: 48.1234569 }, { seq: 3, lat: null }]);
    s.close();
  });

  it('answers "one vehicle, a time range" and "latest of every vehicle" from indexes, not scans', () => {
    const s = Store.open(tmpDb());
    const plan = (sql: string) => (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan("SELECT * FROM records WHERE device = 'x' AND time_ms >= 1 AND time_ms < 2 ORDER BY time_ms")).toMatch(/USING INDEX records_device_time/);
    expect(plan("SELECT * FROM gaps WHERE device = 'x' AND from_time_ms < 2 ORDER BY from_time_ms")).toMatch(/USING INDEX gaps_device_time/);
    const latest = plan('SELECT * FROM devices d LEFT JOIN records r ON r.device = d.device AND r.spool = d.pos_spool AND r.seq = d.pos_seq');
    expect(latest).toMatch(/SEARCH r USING PRIMARY KEY/);
    s.close();
  });
});
