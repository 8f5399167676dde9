import { defineSchema } from './schema.js';
import { decodeRecordWith, encodeRecordWith, type RecordObject } from './record.js';
import { decodeBatchWith, encodeBatchWith } from './batch.js';
import { CodecError } from './errors.js';

/**
 * Telemetry schema v1: one GNSS fix plus the vehicle's sensor values, at fixed
 * resolutions (integers). The vehicle id is NOT in the record: it is the
 * identity of the connection (the client certificate).
 *
 * GNSS time is split in two fields so a single record stays small: `t`, whole
 * seconds since 1970-01-01 UTC (uint32, 5 bytes on the wire, good to 2106), and
 * `ms`, the milliseconds within that second, left out when 0 (1 Hz receivers).
 * A 64-bit millisecond count would cost 9 bytes.
 */
export const TELEMETRY_V1 = defineSchema('geostream.telemetry', 1, {
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
});

/** Values at the schema's resolution (integers); see CONTRACTS.md. */
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
}

const GNSS_KEYS = ['lat7', 'lon7', 'altDm', 'speedCms', 'courseCdeg', 'sats', 'hdopC'] as const;
const VEHICLE_KEYS = ['batteryMv', 'rpm', 'coolantDc', 'oilKpa', 'fuelPm', 'tyresKpa', 'cabinDc', 'humidityPm', 'ignition', 'faults'] as const;

function toObject(r: TelemetryRecord): RecordObject {
  if (typeof r !== 'object' || r === null) throw new CodecError('expected a telemetry record object');
  const ms = r.timeMs;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new CodecError(`expected milliseconds since the epoch, got ${String(ms)}`, 'timeMs');
  const o: RecordObject = { ...r, t: Math.floor(ms / 1000), ms: ms % 1000 || undefined };
  return o;
}

function fromObject(o: RecordObject): TelemetryRecord {
  const r: TelemetryRecord = {
    seq: o.seq as number,
    timeMs: (o.t as number) * 1000 + ((o.ms as number | undefined) ?? 0),
    lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null,
    mode: o.mode as number,
    sats: null, hdopC: null,
  };
  const rr = r as unknown as Record<string, unknown>;
  for (const k of GNSS_KEYS) if (o[k] !== undefined) rr[k] = o[k];
  for (const k of VEHICLE_KEYS) if (o[k] !== undefined) rr[k] = o[k];
  return r;
}

export function encodeRecord(r: TelemetryRecord): Uint8Array {
  return encodeRecordWith(TELEMETRY_V1, toObject(r));
}

export function decodeRecord(b: Uint8Array): TelemetryRecord {
  return fromObject(decodeRecordWith(TELEMETRY_V1, b));
}

export function encodeBatch(rs: readonly TelemetryRecord[]): Uint8Array {
  return encodeBatchWith(TELEMETRY_V1, rs.map(toObject));
}

export function decodeBatch(b: Uint8Array): TelemetryRecord[] {
  return decodeBatchWith(TELEMETRY_V1, b).map(fromObject);
}

/** For messages.ts: decoded maps to records. */
export const telemetryFromObject = fromObject;
