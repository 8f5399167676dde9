import type { TelemetryRecord } from '../../codec/index.js';
import type { GapRow, Position } from './query.js';
import { COLUMN_KEY, COLUMN_NAMES, type ColumnName } from './column-names.js';

export { COLUMN_NAMES, COLUMN_OF_KEY, POSITION_KEY_FIELDS, type ColumnName } from './column-names.js';

/** SQL type of each column (SQLite and PostgreSQL spell them alike). */
export const COLUMN_TYPES: Record<(typeof COLUMN_NAMES)[number], 'REAL' | 'INTEGER' | 'TEXT'> = {
  lat: 'REAL', lon: 'REAL', alt_m: 'REAL', speed_mps: 'REAL', course_deg: 'REAL', mode: 'INTEGER', sats: 'INTEGER', hdop: 'REAL',
  ignition: 'INTEGER', battery_v: 'REAL', rpm: 'INTEGER', coolant_c: 'REAL', oil_kpa: 'INTEGER', fuel_pct: 'REAL',
  tyres_kpa: 'TEXT', cabin_c: 'REAL', humidity_pct: 'REAL', faults: 'INTEGER',
  fuel_rate_lh: 'REAL', wheel_speed_mps: 'REAL', fuel_used_l: 'REAL', odometer_km: 'REAL', engine_h: 'REAL', dtcs: 'TEXT', vin: 'TEXT',
};

export type ColumnValue = number | string | null;

const div = (v: number | null | undefined, scale: number): number | null => (v === null || v === undefined ? null : v / scale);
const val = (v: number | null | undefined): number | null => (v === undefined ? null : v);
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** A decoded record's column values (all null for a payload that is not a telemetry record). */
export function columnsOf(r: TelemetryRecord | null): ColumnValue[] {
  if (!r) return COLUMN_NAMES.map(() => null);
  return [
    div(r.lat7, 1e7), div(r.lon7, 1e7), div(r.altDm, 10), div(r.speedCms, 100), div(r.courseCdeg, 100), r.mode, val(r.sats), div(r.hdopC, 100),
    r.ignition === undefined ? null : r.ignition ? 1 : 0,
    div(r.batteryMv, 1000), val(r.rpm), div(r.coolantDc, 10), val(r.oilKpa), div(r.fuelPm, 10),
    json(r.tyresKpa), div(r.cabinDc, 10), div(r.humidityPm, 10), val(r.faults),
    div(r.fuelRateMlh, 1000), div(r.wheelSpeedCms, 100), div(r.fuelUsedDl, 10), div(r.odometerM, 1000), div(r.engineSecs, 3600), json(r.dtcs), r.vin ?? null,
  ];
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A JSON array column's items that pass `keep` (others null); null for anything but an array. */
function jsonArray<T>(v: unknown, keep: (x: unknown) => x is T): (T | null)[] | null {
  if (typeof v !== 'string') return null;
  try {
    const a: unknown = JSON.parse(v);
    return Array.isArray(a) ? a.map((x) => (keep(x) ? x : null)) : null;
  } catch {
    return null;
  }
}
const isNumber = (x: unknown): x is number => typeof x === 'number';
const isString = (x: unknown): x is string => typeof x === 'string';
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The key fields, then every decoded column: the order positionFromValues() reads. */
export const POSITION_SELECT = `device, spool, seq, time_ms, received_ms, ${COLUMN_NAMES.join(', ')}`;

/** Where each decoded column sits in a POSITION_SELECT row. */
const AT = Object.fromEntries(COLUMN_NAMES.map((n, i) => [n, i + 5])) as Record<(typeof COLUMN_NAMES)[number], number>;

/**
 * A `records` row read as an array in POSITION_SELECT order (SQLite's raw rows: no
 * object per row from the driver, about 3x cheaper for long tracks) as a Position.
 */
export function positionFromValues(v: readonly unknown[]): Position {
  const { kind: _, ...p } = positionItemFromValues(v);
  return p;
}

/**
 * positionFromValues() as a track item: the object is built with `kind` as its first
 * property (spreading a Position into a new object costs more than building it, and
 * leaves an object slower to read).
 */
export function positionItemFromValues(v: readonly unknown[]): { kind: 'position' } & Position {
  const ign = v[AT.ignition];
  return {
    kind: 'position',
    device: v[0] as string,
    spool: v[1] as string,
    seq: Number(v[2]),
    timeMs: Number(v[3]),
    receivedMs: Number(v[4]),
    lat: num(v[AT.lat]),
    lon: num(v[AT.lon]),
    altM: num(v[AT.alt_m]),
    speedMps: num(v[AT.speed_mps]),
    courseDeg: num(v[AT.course_deg]),
    mode: num(v[AT.mode]),
    sats: num(v[AT.sats]),
    hdop: num(v[AT.hdop]),
    ignition: ign === null || ign === undefined ? null : Number(ign) !== 0,
    batteryV: num(v[AT.battery_v]),
    rpm: num(v[AT.rpm]),
    coolantC: num(v[AT.coolant_c]),
    oilKpa: num(v[AT.oil_kpa]),
    fuelPct: num(v[AT.fuel_pct]),
    tyresKpa: jsonArray(v[AT.tyres_kpa], isNumber),
    cabinC: num(v[AT.cabin_c]),
    humidityPct: num(v[AT.humidity_pct]),
    faults: num(v[AT.faults]),
    fuelRateLh: num(v[AT.fuel_rate_lh]),
    wheelSpeedMps: num(v[AT.wheel_speed_mps]),
    fuelUsedL: num(v[AT.fuel_used_l]),
    odometerKm: num(v[AT.odometer_km]),
    engineH: num(v[AT.engine_h]),
    dtcs: jsonArray(v[AT.dtcs], isString)?.filter(isString) ?? null,
    vin: text(v[AT.vin]),
  };
}

/** A `records` row (snake_case columns, as both databases return them) as a Position. */
export function positionFromRow(r: Row): Position {
  return positionFromValues([r.device, r.spool, r.seq, r.time_ms, r.received_ms, ...COLUMN_NAMES.map((n) => r[n])]);
}

/**
 * A JSON array column's conversion for one read: a text equal to the row before's gives
 * the same array (tyre pressures and trouble codes change seldom from record to record;
 * the items of a read are never modified, and equal arrays become one run in the
 * columns format at the cost of a comparison).
 */
function memoJson(convert: (v: unknown) => unknown): (v: unknown) => unknown {
  let last: unknown = memoJson; // no column value
  let out: unknown;
  return (v) => (v === last ? out : ((last = v), (out = convert(v))));
}

/** How a stored value of each column becomes its Position key's value (as positionItemFromValues() does). */
const CONVERT: Record<ColumnName, (v: unknown) => unknown> = {
  lat: num, lon: num, alt_m: num, speed_mps: num, course_deg: num, mode: num, sats: num, hdop: num,
  ignition: (v) => (v === null || v === undefined ? null : Number(v) !== 0),
  battery_v: num, rpm: num, coolant_c: num, oil_kpa: num, fuel_pct: num,
  tyres_kpa: (v) => jsonArray(v, isNumber), cabin_c: num, humidity_pct: num, faults: num,
  fuel_rate_lh: num, wheel_speed_mps: num, fuel_used_l: num, odometer_km: num, engine_h: num,
  dtcs: (v) => jsonArray(v, isString)?.filter(isString) ?? null, vin: text,
};

/** The columns stored as JSON arrays: their conversion remembers the row before (memoJson()). */
const JSON_COLUMNS: ReadonlySet<ColumnName> = new Set(['tyres_kpa', 'dtcs']);

/** Columns in COLUMN_NAMES order, each once. */
export const inColumnOrder = (columns: readonly ColumnName[]): ColumnName[] => COLUMN_NAMES.filter((n) => columns.includes(n));

/** The SELECT list of positionItemsOf(): the key fields but the device (one per read), then those columns. */
export const positionSelectOf = (columns: readonly ColumnName[]): string => `spool, seq, time_ms, received_ms${inColumnOrder(columns).map((c) => `, ${c}`).join('')}`;

/**
 * Rows of positionSelectOf(columns) for `device` as track items that have the key fields
 * and those columns' keys only, in Position order: what a reader asks for when it needs
 * part of a record (the console's two reads of a track), typed as the Positions they are
 * a part of. One function per read (its JSON columns remember the row before).
 */
export function positionItemsOf(columns: readonly ColumnName[], device: string): (v: readonly unknown[]) => { kind: 'position' } & Position {
  const fields = inColumnOrder(columns).map((c) => [COLUMN_KEY[c], JSON_COLUMNS.has(c) ? memoJson(CONVERT[c]) : CONVERT[c]] as const);
  return (v) => {
    const p: Record<string, unknown> = { kind: 'position', device, spool: v[0], seq: Number(v[1]), timeMs: Number(v[2]), receivedMs: Number(v[3]) };
    for (let i = 0; i < fields.length; i++) p[fields[i]![0]] = fields[i]![1](v[i + 4]);
    return p as unknown as { kind: 'position' } & Position;
  };
}

/** A `gaps` row as a GapRow. */
export function gapFromRow(r: Row): GapRow {
  return {
    device: r.device as string,
    spool: r.spool as string,
    seq: Number(r.seq),
    fromSeq: Number(r.from_seq),
    toSeq: Number(r.to_seq),
    fromMs: Number(r.from_time_ms),
    toMs: Number(r.to_time_ms),
    lost: Number(r.lost),
    reason: (r.reason as string | null) ?? null,
    receivedMs: Number(r.received_ms),
  };
}

/** Column values (COLUMN_NAMES order) with the key fields as a Position, for commit listeners. */
export function positionOfValues(device: string, spool: string, seq: number, timeMs: number, receivedMs: number, v: readonly ColumnValue[]): Position {
  return positionFromValues([device, spool, seq, timeMs, receivedMs, ...v]);
}
