import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { decodeTelemetry, Store } from '../../src/server/store/store.js';
import { SCHEMA_VERSION } from '../../src/server/store/schema.js';
import type { TrackItem } from '../../src/server/store/query.js';

/** Written by the schema-1 and schema-2 stores (test/fixtures/store/README.md). */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/store');

const dirs: string[] = [];
function copyFixture(name: string): string {
  const d = mkdtempSync(join(tmpdir(), 'gs-store-migrate-'));
  dirs.push(d);
  const f = join(d, 'ingest.db');
  copyFileSync(join(FIXTURES, name), f);
  return f;
}
const copyV1 = (): string => copyFixture('ingest-v1.db');
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<TrackItem>): Promise<TrackItem[]> {
  const out: TrackItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('migration of a schema-1 database (payload blobs only) on open', () => {
  it('fills the decoded columns from the payloads, keeps every row and counter, and ingest goes on', async () => {
    const file = copyV1();
    const before = new Database(file, { readonly: true });
    expect(before.pragma('user_version', { simple: true })).toBe(1);
    const payloads = before.prepare('SELECT device, spool, seq, time_ms, payload FROM records ORDER BY device, spool, seq').all() as { device: string; spool: string; seq: number; time_ms: number; payload: Buffer }[];
    const devicesBefore = before.prepare('SELECT device, records, duplicates, gaps, lost, handshakes, firmware FROM devices ORDER BY device').all();
    before.close();
    expect(payloads).toHaveLength(186);

    const s = Store.open(file);
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // every row is still there with its payload, and its columns are the payload's decoded values
    const rows = s.db.prepare('SELECT * FROM records ORDER BY device, spool, seq').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(payloads.length);
    rows.forEach((r, i) => {
      const p = payloads[i]!;
      expect([r.device, r.spool, r.seq, r.time_ms]).toEqual([p.device, p.spool, p.seq, p.time_ms]);
      expect(Buffer.compare(r.payload as Buffer, p.payload)).toBe(0);
      const rec = decodeTelemetry(p.payload);
      if (!rec) {
        expect(r.mode).toBeNull();
        return;
      }
      expect(Math.round((r.lat as number) * 1e7)).toBe(rec.lat7);
      expect(Math.round((r.lon as number) * 1e7)).toBe(rec.lon7);
      expect(r.mode).toBe(rec.mode);
      expect(r.battery_v === null ? undefined : Math.round((r.battery_v as number) * 1000)).toBe(rec.batteryMv);
    });
    // the first 120 records of truck-1 carry sensor values, the rest are GNSS only; truck-2's seq 6 is no telemetry record
    expect(s.db.prepare("SELECT COUNT(*) FROM records WHERE device = 'truck-1' AND rpm IS NOT NULL").pluck().get()).toBe(120);
    expect(s.db.prepare("SELECT seq FROM records WHERE mode IS NULL").pluck().all()).toEqual([6]);
    expect(s.db.prepare('SELECT device, records, duplicates, gaps, lost, handshakes, firmware FROM devices ORDER BY device').all()).toEqual(devicesBefore);
    expect(s.db.prepare("SELECT name FROM sqlite_master WHERE name = 'migrate_backfill'").get()).toBeUndefined();
    // latest positions found by the migration; gaps of schema 1 have no reason
    const [t1, t2] = await s.vehicles();
    expect(t1!.latest).toMatchObject({ seq: 181 });
    expect(t2!.latest).toMatchObject({ seq: 5 });
    const track = await collect(s.track('truck-1', 0, 2 ** 45));
    expect(track.filter((x) => x.kind === 'gap')).toEqual([expect.objectContaining({ seq: 121, lost: 10, reason: null })]);
    // WELCOME's view and new ingest work on the migrated file
    expect(s.lookup('truck-1', 'aaaaaaaaaaaaaaaa', 0, 181, 10)).toEqual({ high: 181, stored: [[1, 181]] });
    s.close();
    const again = Store.open(file); // already current: nothing to do
    expect(again.db.prepare('SELECT COUNT(*) FROM records').pluck().get()).toBe(186);
    again.close();
  });

  it('a migration cut short (the decoder dies mid-way) resumes at the next open and loses nothing', () => {
    const file = copyV1();
    let n = 0;
    expect(() =>
      Store.open(file, {
        decode: (p) => {
          if (++n > 20) throw new Error('power cut');
          return decodeTelemetry(p);
        },
      }),
    ).toThrow(/power cut/);
    const mid = new Database(file, { readonly: true });
    expect(mid.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION); // columns added, backfill pending
    expect(mid.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'migrate_backfill'").pluck().get()).toBe(1);
    mid.close();
    expect(() => Store.openReadOnly(file)).toThrow(/start 'geostream server' on it once to migrate/);
    const s = Store.open(file);
    expect(s.db.prepare('SELECT COUNT(*) FROM records WHERE lat IS NULL').pluck().get()).toBe(1); // only the non-telemetry payload
    expect(s.db.prepare('SELECT COUNT(*) FROM records').pluck().get()).toBe(186);
    s.close();
  });

  it('a schema-2 database gets the link_events table and the CAN bus columns, filled from the payloads that carry them', async () => {
    const file = copyFixture('ingest-v2.db');
    const before = new Database(file, { readonly: true });
    expect(before.pragma('user_version', { simple: true })).toBe(2);
    const columnsBefore = before.prepare('SELECT device, spool, seq, lat, lon, rpm, faults FROM records ORDER BY device, spool, seq').all();
    const payloads = before.prepare('SELECT payload FROM records ORDER BY device, spool, seq').pluck().all() as Buffer[];
    before.close();
    expect(payloads).toHaveLength(54);

    const s = Store.open(file);
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(s.db.prepare('SELECT device, spool, seq, lat, lon, rpm, faults FROM records ORDER BY device, spool, seq').all()).toEqual(columnsBefore);
    const rows = s.db.prepare('SELECT * FROM records ORDER BY device, spool, seq').all() as Record<string, unknown>[];
    rows.forEach((r, i) => {
      const rec = decodeTelemetry(payloads[i]!);
      const back = (v: unknown, scale: number) => (v === null ? undefined : Math.round((v as number) * scale));
      expect([back(r.fuel_rate_lh, 1000), back(r.wheel_speed_mps, 100), back(r.fuel_used_l, 10), back(r.odometer_km, 1000), back(r.engine_h, 3600)])
        .toEqual([rec?.fuelRateMlh, rec?.wheelSpeedCms, rec?.fuelUsedDl, rec?.odometerM, rec?.engineSecs]);
      expect(r.dtcs === null ? undefined : JSON.parse(r.dtcs as string)).toEqual(rec?.dtcs);
      expect(r.vin ?? undefined).toBe(rec?.vin);
    });
    // truck-1: 40 records with CAN values (the VIN on the first; no DTC, then SPN 91 FMI 3 from seq 30), 10 GNSS only
    const q = (sql: string) => s.db.prepare(sql).pluck().all();
    expect(q("SELECT COUNT(*) FROM records WHERE device = 'truck-1' AND odometer_km IS NOT NULL")).toEqual([40]);
    expect(q("SELECT seq FROM records WHERE vin IS NOT NULL")).toEqual([1]);
    expect(q("SELECT MIN(seq) FROM records WHERE dtcs = '[\"SPN 91 FMI 3\"]'")).toEqual([30]);
    expect(q("SELECT COUNT(*) FROM records WHERE dtcs = '[]'")).toEqual([29]);
    expect(q("SELECT odometer_km FROM records WHERE device = 'truck-1' AND seq = 1")).toEqual([854934]);
    expect(q("SELECT COUNT(*) FROM records WHERE device = 'truck-2' AND (fuel_rate_lh IS NOT NULL OR dtcs IS NOT NULL)")).toEqual([0]);
    expect(s.db.prepare("SELECT name FROM sqlite_master WHERE name = 'migrate_backfill'").get()).toBeUndefined();
    expect(s.db.prepare("SELECT COUNT(*) FROM link_events").pluck().get()).toBe(0);
    const [t1] = await s.vehicles();
    expect(t1!.latest).toMatchObject({ seq: 50, odometerKm: null });
    s.close();
    const ro = Store.openReadOnly(file);
    expect(ro.db.prepare('SELECT COUNT(*) FROM records').pluck().get()).toBe(54);
    ro.close();
  });

  it('refuses a database from a newer program, naming both schema versions', () => {
    const file = copyV1();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => Store.open(file)).toThrow(new RegExp(`schema ${SCHEMA_VERSION + 1} is newer than this server's \\(${SCHEMA_VERSION}\\)`));
  });
});
