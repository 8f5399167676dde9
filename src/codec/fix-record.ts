import type { Fix, FixJson } from './fix-json.js';
import type { TelemetryRecord } from './telemetry.js';

/** Rounds to the schema's resolution; null stays null. */
function q(v: number | null, scale: number): number | null {
  return v === null ? null : Math.round(v * scale);
}

/**
 * A GNSS fix at the schema's resolution (GNSS fields only; the agent adds the
 * vehicle fields from the SensorHub). Course 359.996 rounds to 0, not 36000.
 */
export function recordFromFix(fix: Fix, seq: number): TelemetryRecord {
  const course = q(fix.course, 100);
  return {
    seq,
    timeMs: fix.timeMs,
    lat7: fix.lat7 ?? q(fix.lat, 1e7),
    lon7: fix.lon7 ?? q(fix.lon, 1e7),
    altDm: q(fix.alt, 10),
    speedCms: q(fix.speed, 100),
    courseCdeg: course === null ? null : course % 36_000,
    mode: fix.mode,
    sats: fix.sats,
    hdopC: q(fix.hdop, 100),
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
