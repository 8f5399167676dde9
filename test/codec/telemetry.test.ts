import { describe, expect, it } from 'vitest';
import { decode as cborxDecode } from 'cbor-x';
import { CodecError, GAP_REASONS, TELEMETRY_V1, decodeBatch, decodeGap, decodeMessage, decodeRecord, encodeBatch, encodeGap, encodeRecord, encodeStreamHeader, type TelemetryRecord } from '../../src/codec/index.js';
import { recordFromFix, recordToFixJson } from '../../src/telemetry/fix-record.js';
import { fixFromJson } from '../../src/telemetry/fix-json.js';
import { allDrives, withSyntheticSensors } from '../support/codec-drive.js';
import { cborx, hex } from '../support/codec-cborx.js';

const drives = allDrives();
const records = (name: string): TelemetryRecord[] => drives.find(([n]) => n === name)![1].map((f, i) => recordFromFix(f, 1000 + i));

const FULL: TelemetryRecord = {
  seq: 70000, timeMs: 1594507065250, lat7: -481234567, lon7: 1115678901, altDm: -52, speedCms: 1523, courseCdeg: 27012, mode: 3, sats: 9, hdopC: 90,
  batteryMv: 13800, rpm: 2100, coolantDc: -45, oilKpa: 310, fuelPm: 640, tyresKpa: [820, 815, null, 830], cabinDc: 215, humidityPm: 452, ignition: false, faults: 0x11,
};

describe('telemetry records', () => {
  it('round-trip every fix of every real drive, record by record', () => {
    for (const [name] of drives) {
      for (const r of records(name)) expect(decodeRecord(encodeRecord(r))).toEqual(r);
    }
  });

  it('round-trip every field, sub-second time, negative values and null tyres', () => {
    expect(decodeRecord(encodeRecord(FULL))).toEqual(FULL);
  });

  it('are byte for byte what cbor-x writes for the same Map of tags (standard CBOR, preferred serialization)', () => {
    const r = withSyntheticSensors(records('tizen_duesseldorf_2009_1hz.nmea')[100]!, 100);
    const m = new Map<number, unknown>();
    const o: Record<string, unknown> = { ...r, t: Math.floor(r.timeMs / 1000), ms: r.timeMs % 1000 || undefined };
    for (const f of TELEMETRY_V1.fields) if (o[f.name] !== undefined && o[f.name] !== null) m.set(f.tag, o[f.name]);
    expect(hex(encodeRecord(r))).toBe(hex(cborx(m)));
  });

  it('do not carry the vehicle id and omit what is unknown (GNSS nulls, absent sensors, ms = 0)', () => {
    const r = records('dashcam_stpetersburg_2016_1hz.nmea')[0]!;
    const m = cborxDecode(encodeRecord({ ...r, altDm: null, sats: null })) as Record<string, unknown>;
    expect(Object.keys(m).map(Number).sort((a, b) => a - b)).toEqual([1, 2, 4, 5, 7, 8, 9, 11]);
  });

  it('reject a record with a missing seq or mode, naming the field', () => {
    const b = cborx(new Map([[2, 1594507065], [9, 3]]));
    expect(() => decodeRecord(b)).toThrow(CodecError);
    expect(() => decodeRecord(b)).toThrow(/seq: required field is missing/);
    expect(() => decodeRecord(cborx(new Map([[1, 5], [2, 1594507065], [9, 4]])))).toThrow(/mode: expected an integer \(uint8\) in 1..3, got 4/);
    expect(() => encodeRecord({ ...FULL, timeMs: -1 })).toThrow(/timeMs/);
    expect(() => encodeRecord({ ...FULL, courseCdeg: 36000 })).toThrow(/courseCdeg/);
  });

  it('convert fixes to the schema resolution and back to `geostream nmea` keys', () => {
    const fix = fixFromJson({ time: '2020-07-11T22:37:45.120Z', lat: 48.12345678, lon: -11.5, alt: 519.26, speed: 12.3456, course: 359.996, mode: 3, quality: 2, sats: 11, hdop: 0.87 }, 'line 1');
    const r = recordFromFix(fix, 7);
    expect(r).toEqual({ seq: 7, timeMs: Date.UTC(2020, 6, 11, 22, 37, 45, 120), lat7: 481234568, lon7: -115000000, altDm: 5193, speedCms: 1235, courseCdeg: 0, mode: 3, sats: 11, hdopC: 87 });
    expect(recordToFixJson(decodeRecord(encodeRecord(r)))).toEqual({ time: '2020-07-11T22:37:45.120Z', lat: 48.1234568, lon: -11.5, alt: 519.3, speed: 12.35, course: 0, mode: 3, quality: null, sats: 11, hdop: 0.87 });
  });

  it('fixFromJson names the bad key', () => {
    const ok = { time: '2020-07-11T22:37:45.000Z', lat: 1, lon: 2, alt: null, speed: null, course: null, mode: 3, quality: null, sats: null, hdop: null };
    expect(() => fixFromJson({ ...ok, time: 'yesterday' }, 'line 3')).toThrow(/^line 3: key 'time': expected ISO-8601/);
    expect(() => fixFromJson({ ...ok, lat: 91 }, 'line 3')).toThrow(/^line 3: key 'lat'/);
    expect(() => fixFromJson({ ...ok, lon: null }, 'line 3')).toThrow(/^line 3: key 'lon': .*both/);
    expect(() => fixFromJson({ ...ok, mode: 0 }, 'line 3')).toThrow(/^line 3: key 'mode': /);
    expect(() => fixFromJson({ ...ok, sats: 2.5 }, 'line 3')).toThrow(/^line 3: key 'sats': /);
    expect(() => fixFromJson([], 'line 3')).toThrow(/^line 3: line: expected a JSON object/);
  });
});

describe('batches', () => {
  it('are lossless on every real drive, in batches of 1, 7, 60 and 600, with and without sensors', () => {
    for (const [name] of drives) {
      const rs = records(name);
      for (const size of [1, 7, 60, 600]) {
        for (let i = 0; i < rs.length; i += size) {
          const chunk = rs.slice(i, i + size);
          expect(decodeBatch(encodeBatch(chunk))).toEqual(chunk);
          const full = chunk.map((r, k) => withSyntheticSensors(r, i + k));
          expect(decodeBatch(encodeBatch(full))).toEqual(full);
        }
      }
    }
  });

  it('keep records whose fields come and go (no fix, sensors expiring, sub-second times)', () => {
    const rs: TelemetryRecord[] = Array.from({ length: 50 }, (_, i) => ({
      ...FULL,
      seq: FULL.seq + i * (i % 4 === 0 ? 3 : 1),
      timeMs: FULL.timeMs + i * 200,
      lat7: i % 5 === 2 ? null : FULL.lat7! + i * i * 37,
      lon7: i % 5 === 2 ? null : FULL.lon7! - i * 1234567,
      rpm: i % 3 ? 2000 + i : undefined,
      tyresKpa: i > 30 ? [820, null] : FULL.tyresKpa,
      ignition: i < 20,
    }));
    for (const r of rs) if (r.rpm === undefined) delete r.rpm;
    expect(decodeBatch(encodeBatch(rs))).toEqual(rs);
  });

  it('are standard CBOR that cbor-x reads: {0: 1, 1: version, 2: count, 3: columns}', () => {
    const rs = records('tizen_duesseldorf_2009_1hz.nmea').slice(0, 60);
    const m = cborxDecode(encodeBatch(rs)) as Record<string, unknown>;
    expect(m[0]).toBe(1);
    expect(m[1]).toBe(2);
    expect(m[2]).toBe(60);
    expect(Object.keys(m[3] as object).map(Number)).toContain(4);
  });

  it('code tyre pressures held between 10 s samples as ITEMS, well below runs of whole arrays', () => {
    const rs = records('tizen_duesseldorf_2009_1hz.nmea').slice(0, 60).map((r, i) => withSyntheticSensors(r, i));
    expect(new Set(rs.map((r) => JSON.stringify(r.tyresKpa))).size).toBeGreaterThan(4);
    const col = (cborxDecode(encodeBatch(rs)) as Record<number, Record<number, unknown[]>>)[3]![17]!;
    expect(col[0]).toBe(5);
    expect(col[1]).toBe(6);
    const runsOfArrays = cborx([1, rs.flatMap((r, i) => (i > 0 && JSON.stringify(r.tyresKpa) === JSON.stringify(rs[i - 1]!.tyresKpa) ? [] : [r.tyresKpa, 1]))]);
    expect(cborx(col).length).toBeLessThan(runsOfArrays.length * 0.6);
    expect(decodeBatch(encodeBatch(rs))).toEqual(rs);
  });

  it('use every column coding on real drives (RAW, RLE, delta bit-packed, varint, Rice and ITEMS), so each is exercised', () => {
    const used = new Set<number>();
    for (const [name] of drives) {
      const rs = records(name).map((r, i) => withSyntheticSensors(r, i));
      for (const size of [2, 60, 600]) {
        for (let i = 0; i < rs.length; i += size) {
          const cols = (cborxDecode(encodeBatch(rs.slice(i, i + size))) as Record<number, Record<number, unknown[]>>)[3]!;
          for (const c of Object.values(cols)) used.add(c[0] as number);
        }
      }
    }
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuse an empty or oversized batch, and a batch without a valid schema version', () => {
    expect(() => encodeBatch([])).toThrow(/batch.count/);
    expect(() => encodeBatch(new Array(10_001).fill(FULL))).toThrow(/batch.count/);
    for (const v of [0, 'x', 70_000]) {
      const m = cborx(new Map<number, unknown>([[0, 1], [1, v], [2, 1], [3, new Map()]]));
      expect(() => decodeBatch(m)).toThrow(/batch.version: batch schema version .* is not 1..65535/);
    }
  });

  it('read batches of older and newer versions: the columns they know, unknown tags skipped', () => {
    const cols = (extra: [number, unknown][]) => new Map<number, unknown>([[1, [0, [7]]], [2, [0, [1_600_000_000]]], [9, [0, [3]]], ...extra]);
    const v1 = cborx(new Map<number, unknown>([[0, 1], [1, 1], [2, 1], [3, cols([])]]));
    const v9 = cborx(new Map<number, unknown>([[0, 1], [1, 9], [2, 1], [3, cols([[999, [0, [42]]]])]]));
    const want = { seq: 7, timeMs: 1_600_000_000_000, lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null };
    expect(decodeBatch(v1)).toEqual([want]);
    expect(decodeBatch(v9)).toEqual([want]);
  });
});

describe('messages', () => {
  it('gaps and stream headers round-trip and are told apart from records and batches', () => {
    const gap = { fromSeq: 10, toSeq: 19, fromTimeMs: 1594507065000, toTimeMs: 1594507074000, lost: 10 };
    expect(decodeGap(encodeGap(gap))).toEqual(gap);
    expect(decodeMessage(encodeStreamHeader())).toEqual({ kind: 'header', header: { schema: 'geostream.telemetry', version: 2 } });
    expect(decodeMessage(encodeRecord(FULL))).toEqual({ kind: 'record', record: FULL });
    expect(decodeMessage(encodeBatch([FULL]))).toEqual({ kind: 'batch', records: [FULL] });
    expect(() => decodeRecord(encodeGap(gap))).toThrow(/kind: not a record: message kind 2/);
    expect(() => decodeMessage(cborx(new Map([[0, 9]])))).toThrow(/unknown message kind 9/);
    expect(() => encodeGap({ ...gap, fromSeq: 20 })).toThrow(/fromSeq/);
  });

  it("a gap's reason (key 6) round-trips; a gap without one, as older writers send, still decodes; a reason that is not a lower-case word is refused by name", () => {
    const gap = { fromSeq: 10, toSeq: 19, fromTimeMs: 1594507065000, toTimeMs: 1594507074000, lost: 10 };
    for (const reason of [...GAP_REASONS, 'expired']) {
      const b = encodeGap({ ...gap, reason });
      expect(Buffer.from(b).subarray(-2 - reason.length).toString('latin1')).toBe(`\x06${String.fromCharCode(0x60 + reason.length)}${reason}`);
      expect(decodeGap(b)).toEqual({ ...gap, reason });
    }
    const old = cborx(new Map<number, unknown>([[0, 2], [1, 10], [2, 19], [3, 1594507065000], [4, 1594507074000], [5, 10]]));
    expect(decodeMessage(old)).toEqual({ kind: 'gap', gap });
    expect(decodeGap(old)).not.toHaveProperty('reason', expect.anything());
    for (const reason of ['Dropped', 'x y', "x'; DROP TABLE gaps", '']) {
      expect(() => encodeGap({ ...gap, reason })).toThrow(/^reason: reason must be a lower-case word/);
      expect(() => decodeGap(cborx(new Map<number, unknown>([[0, 2], [1, 10], [2, 19], [3, 1], [4, 2], [5, 10], [6, reason]])))).toThrow(/^reason: /);
    }
    expect(() => decodeGap(cborx(new Map<number, unknown>([[0, 2], [1, 10], [2, 19], [3, 1], [4, 2], [5, 10], [6, 'a'.repeat(17)]])))).toThrow(/^reason: /);
  });
});
