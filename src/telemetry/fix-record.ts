import type { Fix, FixJson } from './fix-json.js';
import type { TelemetryRecord } from '../codec/telemetry.js';

/** Rounds to the schema's resolution; null stays null. */
function q(v: number | null, scale: number): number | null {
  return v === null ? null : Math.round(v * scale);
}

/** Limits of the schema's integer types (TELEMETRY_V1). */
const INT32 = [-2_147_483_648, 2_147_483_647] as const;
const UINT32 = [0, 4_294_967_295] as const;
const UINT16 = [0, 65_535] as const;
const UINT8 = [0, 255] as const;

/**
 * Rounds to the schema's resolution and saturates at the field's limits, so whatever a
 * receiver reports is carried: HDOP 176 stays 176, HDOP 999.99 arrives as 655.35 (the
 * field's maximum, read as "this or worse"), a negative speed as 0.
 */
function qs(v: number | null, scale: number, [min, max]: readonly [number, number]): number | null {
  const x = q(v, scale);
  return x === null ? null : Math.min(max, Math.max(min, x));
}

/**
 * A GNSS fix at the schema's resolution (GNSS fields only; the agent adds the
 * vehicle fields from the SensorHub). Course 359.996 rounds to 0, not 36000; a course
 * outside 0..360 is taken modulo 360.
 */
export function recordFromFix(fix: Fix, seq: number): TelemetryRecord {
  const course = q(fix.course, 100);
  return {
    seq,
    timeMs: fix.timeMs,
    lat7: fix.lat7 ?? q(fix.lat, 1e7),
    lon7: fix.lon7 ?? q(fix.lon, 1e7),
    altDm: qs(fix.alt, 10, INT32),
    speedCms: qs(fix.speed, 100, UINT32),
    courseCdeg: course === null ? null : ((course % 36_000) + 36_000) % 36_000,
    mode: fix.mode,
    sats: fix.sats === null ? null : Math.min(UINT8[1], fix.sats),
    hdopC: qs(fix.hdop, 100, UINT16),
  };
}

/** Scaled integer back to units; integer / power of ten prints its shortest decimal. */
function u(v: number | null, scale: number): number | null {
  return v === null ? null : v / scale;
}

/**
 * The `geostream nmea` JSON line for a record, values at the schema's
 * resolution. The record does not carry GGA quality, so `quality` is null.
 */
export function recordToFixJson(r: TelemetryRecord): FixJson {
  return {
    time: new Date(r.timeMs).toISOString(),
    lat: u(r.lat7, 1e7),
    lon: u(r.lon7, 1e7),
    alt: u(r.altDm, 10),
    speed: u(r.speedCms, 100),
    course: u(r.courseCdeg, 100),
    mode: r.mode as 1 | 2 | 3,
    quality: null,
    sats: r.sats,
    hdop: u(r.hdopC, 100),
  };
}
