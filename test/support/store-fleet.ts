/**
 * The fleet the store benchmarks generate inside the database, on SQLite and PostgreSQL
 * alike: VEHICLES vehicles, FULL of them with a whole day at 1 Hz and the others SHORT rows
 * each from noon, GS_BENCH_ROWS (default 10,000,000) rows in all, interleaved in time order
 * as ingest writes them; every decoded column filled, on the wire's resolution; `devices`
 * with each one's counters and latest-position pointer as ingest keeps them; a few gaps in
 * the target vehicle's day, so a track read merges gap pages too. And the queries the
 * benchmarks run on it by hand, as a user would.
 */
import { encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';

export const ROWS = Number(process.env.GS_BENCH_ROWS ?? 10_000_000);
export const DAY_S = 86_400;
export const DAY0 = Date.UTC(2026, 2, 2);
export const VEHICLES = 3000;
/** Vehicles with a whole day at 1 Hz; the others hold a short drive each, to VEHICLES in all. */
export const FULL = Math.max(1, Math.min(VEHICLES, Math.floor((ROWS * 0.99) / DAY_S)));
export const SHORT = Math.max(1, Math.ceil((ROWS - FULL * DAY_S) / (VEHICLES - FULL)));
export const TARGET_N = Math.min(7, FULL - 1);
export const MONTH_DAYS = Number(process.env.GS_BENCH_MONTH_DAYS ?? 30);
export const vehicleName = (n: number) => `truck-${String(n).padStart(4, '0')}`;
/** The vehicle whose day the benchmarks read. */
export const TARGET = vehicleName(TARGET_N);

/** A realistic record with every sensor the schema has (the payload kept beside the columns). */
export function telemetry(seq: number, timeMs: number): TelemetryRecord {
  return {
    seq, timeMs, lat7: 512_345_678 + seq * 13, lon7: 67_891_234 + seq * 21, altDm: 412, speedCms: 1234 + (seq % 900), courseCdeg: (seq * 137) % 36_000, mode: 3, sats: 9, hdopC: 87,
    batteryMv: 13_800, rpm: 1450 + (seq % 300), coolantDc: 865, oilKpa: 310, fuelPm: 605, tyresKpa: [820, 815, null, 825], cabinDc: 215, humidityPm: 402, ignition: true, faults: 0,
  };
}

/** What a part of the fleet is: vehicles [first, first + full) with `days` at 1 Hz, up to `vehicles` with `short` rows from noon. */
export interface FleetPart {
  full: number;
  short: number;
  vehicles: number;
  first?: number;
  days?: number;
}

/** How each database spells what the two write differently. */
interface Dialect {
  /** Integer `n` as a decimal string of 4 digits. */
  pad4(n: string): string;
  /** Integer `n` as 16 lowercase hex digits. */
  hex16(n: string): string;
  /** `x` rounded to 7 decimals, a float. */
  round7(x: string): string;
  /** A blob literal. */
  blob(b: Uint8Array): string;
  /** The rows t(i) x v(n), i in [0, count), n in [from, to), t the outer loop: all vehicles' second i before second i + 1. */
  grid(count: number, from: number, to: number): { with: string; from: string };
}

const DIALECTS: Record<'sqlite' | 'postgres', Dialect> = {
  sqlite: {
    pad4: (n) => `printf('%04d', ${n})`,
    hex16: (n) => `printf('%016x', ${n})`,
    round7: (x) => `round(${x}, 7)`,
    blob: (b) => `X'${Buffer.from(b).toString('hex')}'`,
    grid: (count, from, to) => ({
      with: `WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < ${count - 1}), v(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM v WHERE n < ${to - 1})`,
      from: 't CROSS JOIN v',
    }),
  },
  postgres: {
    pad4: (n) => `lpad((${n})::text, 4, '0')`,
    hex16: (n) => `lpad(to_hex(${n}), 16, '0')`,
    round7: (x) => `round((${x})::numeric, 7)::float8`,
    blob: (b) => `'\\x${Buffer.from(b).toString('hex')}'::bytea`,
    // LATERAL (the 0 * i) makes t the outer loop, so the heap holds the rows in time order as ingest leaves them;
    // BIGINT, as the columns are (1000003 * (n + 1) is past 2^31)
    grid: (count, from, to) => ({ with: '', from: `generate_series(0::int8, ${count - 1}) AS t(i) CROSS JOIN LATERAL generate_series(${from} + 0 * t.i, ${to - 1}) AS v(n)` }),
  },
};

const RECORD_COLUMNS = `device, spool, seq, time_ms, payload, received_ms, lat, lon, alt_m, speed_mps, course_deg, mode, sats, hdop, ignition,
  battery_v, rpm, coolant_c, oil_kpa, fuel_pct, tyres_kpa, cabin_c, humidity_pct, faults`;

/** One row's values for vehicle `n` at second `i` of its drive, which starts `startMs` after DAY0; vehicle n drives from its own depot. */
function recordValues(d: Dialect, startMs: number, payload: Uint8Array): string {
  const t = `${DAY0 + startMs} + i * 1000`;
  return `'truck-' || ${d.pad4('n')}, ${d.hex16('1000003 * (n + 1)')}, i + 1, ${t}, ${d.blob(payload)}, ${t} + 420,
    ${d.round7('51.0 + (n % 60) * 0.05 + (i % 3600) * 0.0000021')}, ${d.round7('6.5 + (n / 60) * 0.05 + (i % 7200) * 0.0000013')}, 40 + (i % 100) / 10.0,
    ((i * 7) % 2500) / 100.0, ((i * 13) % 36000) / 100.0, 3, 6 + i % 7, 0.8 + (i % 50) / 100.0, 1,
    13.8, 800 + i % 1500, 85.5, CASE WHEN i % 10 = 0 THEN NULL ELSE 300 + i % 40 END, round(80.0 - i / 2000.0, 1), '[820,815,830,825]', 21.5, 40.2, 0`;
}

/** `devices` from the records: counters, the highest seq and the latest position, one spool per vehicle. */
const DEVICES_SQL = [
  `INSERT INTO devices (device, records, handshakes, last_seen_ms, firmware, last_spool, last_seq, last_time_ms, last_lat7, last_lon7, pos_spool, pos_seq, pos_time_ms)
    SELECT device, COUNT(*), 1, MAX(time_ms), 'geostream 1.0', spool, MAX(seq), MAX(time_ms), NULL, NULL, spool, MAX(seq), MAX(time_ms)
    FROM records GROUP BY device, spool`,
  `UPDATE devices SET (last_lat7, last_lon7) = (SELECT CAST(round(lat * 1e7) AS BIGINT), CAST(round(lon * 1e7) AS BIGINT) FROM records r
    WHERE r.device = devices.device AND r.spool = devices.last_spool AND r.seq = devices.last_seq)`,
];

/**
 * The statements that fill a store made by the store itself (its own schema) with `part`,
 * to run in one transaction in this order: `records` (the vehicles with whole days, then the
 * short ones), then `devices` and ten gaps in the target vehicle's day.
 */
export function fleetSql(db: 'sqlite' | 'postgres', part: FleetPart): { records: string[]; then: string[] } {
  const d = DIALECTS[db];
  const payload = encodeRecord(telemetry(1, DAY0));
  const first = part.first ?? 0;
  const fill = (count: number, from: number, to: number, startMs: number) => {
    const g = d.grid(count, from, to);
    return `${g.with} INSERT INTO records (${RECORD_COLUMNS}) SELECT ${recordValues(d, startMs, payload)} FROM ${g.from}`;
  };
  const records = [fill(DAY_S * (part.days ?? 1), first, first + part.full, 0)];
  if (part.vehicles > part.full) records.push(fill(part.short, first + part.full, first + part.vehicles, 12 * 3_600_000));
  const gaps = Array.from({ length: 10 }, (_, j) => {
    const from = DAY0 + (j + 1) * 7_200_000;
    return `(${1_000_001 + j}, ${from}, ${from + 1000})`;
  });
  const gapSql = `WITH g(seq, f, t) AS (VALUES ${gaps.join(', ')}) INSERT INTO gaps (device, spool, seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, received_ms, reason)
    SELECT d.device, d.pos_spool, g.seq, 0, 0, g.f, g.t, 1, ${DAY0}, 'ring' FROM devices d CROSS JOIN g WHERE d.device = '${TARGET}'`;
  return { records, then: [...DEVICES_SQL, gapSql] };
}

/** One hour around noon and a box that holds part of the fleet's depots. */
export const BBOX = { from: DAY0 + 12 * 3_600_000, to: DAY0 + 13 * 3_600_000, latMin: 51.2, latMax: 51.6, lonMin: 6.5, lonMax: 7.0 };

/**
 * Everything inside BBOX, as SQL a user runs on the database (docs/DATA.md): the per-vehicle
 * form that can use records_device_time, and the plain WHERE over the table (and their
 * columns and condition, for other forms); `param` spells the parameter named by a key of BBOX.
 */
export function bboxSql(param: (k: keyof typeof BBOX) => string): { perVehicle: string; plain: string; cols: string; where: string } {
  const where = `time_ms >= ${param('from')} AND time_ms < ${param('to')} AND lat BETWEEN ${param('latMin')} AND ${param('latMax')} AND lon BETWEEN ${param('lonMin')} AND ${param('lonMax')}`;
  const cols = 'device, time_ms, lat, lon, speed_mps';
  return {
    cols,
    where,
    perVehicle: `SELECT ${cols} FROM records WHERE device IN (SELECT device FROM devices) AND ${where} ORDER BY device, time_ms`,
    plain: `SELECT ${cols} FROM records WHERE ${where} ORDER BY device, time_ms`,
  };
}

/** The latest position of every vehicle as a store without the `devices` pointer has to find it. */
export const LATEST_GROUP_BY_SQL = `SELECT r.device, r.time_ms, r.lat, r.lon FROM records r
  JOIN (SELECT device, MAX(time_ms) AS t FROM records WHERE lat IS NOT NULL GROUP BY device) m ON r.device = m.device AND r.time_ms = m.t`;
