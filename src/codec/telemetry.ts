import { defineSchema } from './schema.js';
import { decodeValues, encodeValues } from './record.js';
import { decodeBatchValues, encodeBatchColumns } from './batch.js';
import { CodecError } from './errors.js';

/**
 * Telemetry schema: one GNSS fix plus the vehicle's sensor values, at fixed
 * resolutions (integers). Version 2 adds the CAN bus values (tags 22-28). Versions
 * only ever add optional tags, so a reader decodes the tags it knows from a record or
 * batch of any version (a change of meaning would take a new schema name). The vehicle id is NOT in the record: it is the
 * identity of the connection (the client certificate).
 *
 * GNSS time is split in two fields so a single record stays small: `t`, whole
 * seconds since 1970-01-01 UTC (uint32, 5 bytes on the wire, good to 2106), and
 * `ms`, the milliseconds within that second, left out when 0 (1 Hz receivers).
 * A 64-bit millisecond count would cost 9 bytes.
 */
export const TELEMETRY = defineSchema('geostream.telemetry', 2, {
  seq: { tag: 1, type: 'uint64', required: true, doc: 'spool sequence number' },
  t: { tag: 2, type: 'uint32', required: true, doc: 'GNSS UTC time, whole seconds since the epoch' },
  ms: { tag: 3, type: 'uint16', max: 999, doc: 'milliseconds within t (absent = 0)' },
  lat7: { tag: 4, type: 'int32', min: -900_000_000, max: 900_000_000, doc: 'latitude, 1e-7 degrees' },
  lon7: { tag: 5, type: 'int32', min: -1_800_000_000, max: 1_800_000_000, doc: 'longitude, 1e-7 degrees' },
  altDm: { tag: 6, type: 'int32', doc: 'altitude above MSL, 0.1 m' },
  speedCms: { tag: 7, type: 'uint32', doc: 'speed over ground, cm/s' },
  courseCdeg: { tag: 8, type: 'uint16', max: 35_999, doc: 'course over ground, 0.01 degrees true' },
  mode: { tag: 9, type: 'uint8', min: 1, max: 3, required: true, doc: 'fix mode: 1 none, 2 2D, 3 3D' },
  sats: { tag: 10, type: 'uint8', doc: 'satellites used' },
  hdopC: { tag: 11, type: 'uint16', doc: 'HDOP, 0.01' },
  batteryMv: { tag: 12, type: 'uint16', doc: 'battery voltage, mV' },
  rpm: { tag: 13, type: 'uint16', doc: 'engine speed, rpm' },
  coolantDc: { tag: 14, type: 'int16', doc: 'coolant temperature, 0.1 degC' },
  oilKpa: { tag: 15, type: 'uint16', doc: 'oil pressure, kPa' },
  fuelPm: { tag: 16, type: 'uint16', max: 1000, doc: 'fuel level, per mille' },
  tyresKpa: { tag: 17, type: 'array', items: { type: 'uint16' }, maxItems: 16, nullableItems: true, doc: 'tyre pressures, kPa, null = unknown' },
  cabinDc: { tag: 18, type: 'int16', doc: 'cabin temperature (BME280), 0.1 degC' },
  humidityPm: { tag: 19, type: 'uint16', max: 1000, doc: 'cabin relative humidity (BME280), per mille' },
  ignition: { tag: 20, type: 'bool', doc: 'ignition on' },
  faults: { tag: 21, type: 'uint32', doc: 'fault bits (defined by src/sensors)' },
  fuelRateMlh: { tag: 22, type: 'uint32', doc: 'engine fuel rate (CAN), mL/h' },
  wheelSpeedCms: { tag: 23, type: 'uint32', doc: 'wheel-based vehicle speed (CAN), cm/s' },
  fuelUsedDl: { tag: 24, type: 'uint32', doc: 'total fuel used over the engine life (CAN), 0.1 L' },
  odometerM: { tag: 25, type: 'uint32', doc: 'total vehicle distance (CAN), m' },
  engineSecs: { tag: 26, type: 'uint32', doc: 'total engine hours (CAN), in seconds' },
  dtcs: { tag: 27, type: 'array', items: { type: 'string', maxLength: 24 }, maxItems: 32, doc: 'active trouble codes: J1939 "SPN 190 FMI 2", OBD-II "P0301"; [] = none' },
  vin: { tag: 28, type: 'string', maxLength: 32, doc: 'vehicle identification number (first record of a session, and when it changes)' },
});

/** The name the telemetry schema had before version 2; the same object. */
export const TELEMETRY_V1 = TELEMETRY;

/** Values at the schema's resolution (integers; the scale of each field is in its schema entry). */
export interface TelemetryRecord {
  seq: number;
  timeMs: number;
  lat7: number | null;
  lon7: number | null;
  altDm: number | null;
  speedCms: number | null;
  courseCdeg: number | null;
  mode: number;
  sats: number | null;
  hdopC: number | null;
  batteryMv?: number;
  rpm?: number;
  coolantDc?: number;
  oilKpa?: number;
  fuelPm?: number;
  tyresKpa?: (number | null)[];
  cabinDc?: number;
  humidityPm?: number;
  ignition?: boolean;
  faults?: number;
  fuelRateMlh?: number;
  wheelSpeedCms?: number;
  fuelUsedDl?: number;
  odometerM?: number;
  engineSecs?: number;
  dtcs?: string[];
  vin?: string;
}

/** Field positions in TELEMETRY.fields (ascending tags), checked at load. */
const ORDER = ['seq', 't', 'ms', 'lat7', 'lon7', 'altDm', 'speedCms', 'courseCdeg', 'mode', 'sats', 'hdopC',
  'batteryMv', 'rpm', 'coolantDc', 'oilKpa', 'fuelPm', 'tyresKpa', 'cabinDc', 'humidityPm', 'ignition', 'faults',
  'fuelRateMlh', 'wheelSpeedCms', 'fuelUsedDl', 'odometerM', 'engineSecs', 'dtcs', 'vin'] as const;
if (TELEMETRY.fields.map((f) => f.name).join() !== ORDER.join()) throw new Error('telemetry: ORDER does not match the schema');

/** A record as a value row in field order (absent = undefined or null). */
export function telemetryToValues(r: TelemetryRecord): unknown[] {
  const ms = checkedTime(r);
  const t = Math.floor(ms / 1000);
  return [r.seq, t, ms - t * 1000 || undefined, r.lat7, r.lon7, r.altDm, r.speedCms, r.courseCdeg, r.mode, r.sats, r.hdopC,
    r.batteryMv, r.rpm, r.coolantDc, r.oilKpa, r.fuelPm, r.tyresKpa, r.cabinDc, r.humidityPm, r.ignition, r.faults,
    r.fuelRateMlh, r.wheelSpeedCms, r.fuelUsedDl, r.odometerM, r.engineSecs, r.dtcs, r.vin];
}

const orNull = (v: unknown) => (v === undefined ? null : (v as number));

/** A decoded value row as a record: GNSS fields null when absent, vehicle fields left out. */
export function telemetryFromValues(v: readonly unknown[]): TelemetryRecord {
  const r: TelemetryRecord = {
    seq: v[0] as number,
    timeMs: (v[1] as number) * 1000 + ((v[2] as number | undefined) ?? 0),
    lat7: orNull(v[3]), lon7: orNull(v[4]), altDm: orNull(v[5]), speedCms: orNull(v[6]), courseCdeg: orNull(v[7]),
    mode: v[8] as number,
    sats: orNull(v[9]), hdopC: orNull(v[10]),
  };
  if (v[11] !== undefined) r.batteryMv = v[11] as number;
  if (v[12] !== undefined) r.rpm = v[12] as number;
  if (v[13] !== undefined) r.coolantDc = v[13] as number;
  if (v[14] !== undefined) r.oilKpa = v[14] as number;
  if (v[15] !== undefined) r.fuelPm = v[15] as number;
  if (v[16] !== undefined) r.tyresKpa = v[16] as (number | null)[];
  if (v[17] !== undefined) r.cabinDc = v[17] as number;
  if (v[18] !== undefined) r.humidityPm = v[18] as number;
  if (v[19] !== undefined) r.ignition = v[19] as boolean;
  if (v[20] !== undefined) r.faults = v[20] as number;
  if (v[21] !== undefined) r.fuelRateMlh = v[21] as number;
  if (v[22] !== undefined) r.wheelSpeedCms = v[22] as number;
  if (v[23] !== undefined) r.fuelUsedDl = v[23] as number;
  if (v[24] !== undefined) r.odometerM = v[24] as number;
  if (v[25] !== undefined) r.engineSecs = v[25] as number;
  if (v[26] !== undefined) r.dtcs = v[26] as string[];
  if (v[27] !== undefined) r.vin = v[27] as string;
  return r;
}

export function encodeRecord(r: TelemetryRecord): Uint8Array {
  return encodeValues(TELEMETRY, telemetryToValues(r));
}

export function decodeRecord(b: Uint8Array): TelemetryRecord {
  return telemetryFromValues(decodeValues(TELEMETRY, b));
}

function checkedTime(r: TelemetryRecord): number {
  if (typeof r !== 'object' || r === null) throw new CodecError('expected a telemetry record object');
  const ms = r.timeMs;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new CodecError(`expected milliseconds since the epoch, got ${String(ms)}`, 'timeMs');
  return ms;
}

/** Milliseconds within the second, undefined for 0 (exact: no float modulo, which is slow). */
const subSecond = (ms: number) => ms - Math.floor(ms / 1000) * 1000 || undefined;

/** Field j of a record, as telemetryToValues()[j] would give it (batch columns read records in place). */
const GET: readonly ((r: TelemetryRecord) => unknown)[] = [
  (r) => (checkedTime(r), r.seq), (r) => Math.floor(r.timeMs / 1000), (r) => subSecond(r.timeMs),
  (r) => r.lat7, (r) => r.lon7, (r) => r.altDm, (r) => r.speedCms, (r) => r.courseCdeg, (r) => r.mode, (r) => r.sats, (r) => r.hdopC,
  (r) => r.batteryMv, (r) => r.rpm, (r) => r.coolantDc, (r) => r.oilKpa, (r) => r.fuelPm, (r) => r.tyresKpa, (r) => r.cabinDc,
  (r) => r.humidityPm, (r) => r.ignition, (r) => r.faults,
  (r) => r.fuelRateMlh, (r) => r.wheelSpeedCms, (r) => r.fuelUsedDl, (r) => r.odometerM, (r) => r.engineSecs, (r) => r.dtcs, (r) => r.vin,
];
if (GET.length !== ORDER.length) throw new Error('telemetry: GET does not match the schema');

export function encodeBatch(rs: readonly TelemetryRecord[]): Uint8Array {
  // The seq column (read first) checks every record and its time before any other column.
  return encodeBatchColumns(TELEMETRY, rs, GET);
}

export function decodeBatch(b: Uint8Array): TelemetryRecord[] {
  return decodeBatchValues(TELEMETRY, b).map(telemetryFromValues);
}
