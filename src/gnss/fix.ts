/**
 * A GNSS fix: one merged epoch of the receiver's sentences. Times are GNSS UTC from
 * the receiver, never the system clock (a Pi has no RTC and boots with a wrong clock).
 */
export interface Fix {
  /** GNSS UTC, ms since the epoch. */
  timeMs: number;
  /** Degrees, every digit the receiver gave (exact ddmm.mmmm conversion, one rounding). */
  lat: number | null;
  lon: number | null;
  /** Integer 1e-7 degrees, converted exactly from the text (for the codec). */
  lat7: number | null;
  lon7: number | null;
  /** Metres above mean sea level. */
  alt: number | null;
  /** m/s (rounded to mm/s: knots and km/h conversions carry no more precision). */
  speed: number | null;
  /** Degrees true. */
  course: number | null;
  /** 1 no fix, 2 = 2D, 3 = 3D. */
  mode: 1 | 2 | 3;
  /** GGA fix quality (0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning, ...). */
  quality: number | null;
  sats: number | null;
  hdop: number | null;
}

/**
 * The JSON line `geostream nmea` prints: the Fix with `time` as ISO-8601 UTC (ms) and
 * without the 1e-7 integers; fixToJson writes the keys in the documented order.
 */
export type FixJson = { time: string } & Omit<Fix, 'timeMs' | 'lat7' | 'lon7'>;

export function fixToJson(f: Fix): FixJson {
  return {
    time: new Date(f.timeMs).toISOString(),
    lat: f.lat,
    lon: f.lon,
    alt: f.alt,
    speed: f.speed,
    course: f.course,
    mode: f.mode,
    quality: f.quality,
    sats: f.sats,
    hdop: f.hdop,
  };
}

const KEYS = ['time', 'lat', 'lon', 'alt', 'speed', 'course', 'mode', 'quality', 'sats', 'hdop'] as const;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Error from fixFromJson; `key` names the offending key. */
export class FixJsonError extends Error {
  override name = 'FixJsonError';
  constructor(
    readonly where: string,
    readonly key: string,
    problem: string,
  ) {
    super(`${where}: ${key ? `key '${key}'` : 'line'}: ${problem}`);
  }
}

function numOrNull(o: Record<string, unknown>, k: string, where: string, min: number, max: number): number | null {
  const v = o[k];
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FixJsonError(where, k, `expected a number or null, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new FixJsonError(where, k, `${v} is out of range ${min}..${max}`);
  return v;
}

/** Exact 1e-7 integer from a decimal degree value as printed (no float multiply drift). */
export function degreesTo7(v: number): number {
  return Math.round(Number(`${v}e7`));
}

/**
 * Validates one parsed JSON line of `geostream nmea` output; errors name the key.
 * Measured values are taken as receivers send them (a Garmin reports HDOP 176.0, cheap
 * receivers print HDOP 99.99 or 999.99 with no fix): a surprising value is never a reason
 * to drop a fix. The record carries it at the wire's limits (recordFromFix).
 */
export function fixFromJson(o: unknown, where: string): Fix {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new FixJsonError(where, '', 'expected a JSON object');
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!(KEYS as readonly string[]).includes(k)) throw new FixJsonError(where, k, 'unknown key');
  for (const k of KEYS) if (!(k in r)) throw new FixJsonError(where, k, 'is missing');
  const t = r.time;
  if (typeof t !== 'string' || !ISO_MS.test(t) || Number.isNaN(Date.parse(t))) throw new FixJsonError(where, 'time', `expected ISO-8601 UTC with milliseconds, got ${JSON.stringify(t)}`);
  const mode = r.mode;
  if (mode !== 1 && mode !== 2 && mode !== 3) throw new FixJsonError(where, 'mode', `expected 1, 2 or 3, got ${JSON.stringify(mode)}`);
  const lat = numOrNull(r, 'lat', where, -90, 90);
  const lon = numOrNull(r, 'lon', where, -180, 180);
  if ((lat === null) !== (lon === null)) throw new FixJsonError(where, lat === null ? 'lat' : 'lon', 'lat and lon must both be null or both be numbers');
  if (mode === 1 && lat !== null) throw new FixJsonError(where, 'lat', 'a mode 1 (no fix) line cannot have a position');
  const sats = numOrNull(r, 'sats', where, 0, Number.MAX_SAFE_INTEGER);
  const quality = numOrNull(r, 'quality', where, 0, 9);
  for (const [k, v] of [['sats', sats], ['quality', quality]] as const) {
    if (v !== null && !Number.isInteger(v)) throw new FixJsonError(where, k, `expected an integer, got ${v}`);
  }
  return {
    timeMs: Date.parse(t),
    lat,
    lon,
    lat7: lat === null ? null : degreesTo7(lat),
    lon7: lon === null ? null : degreesTo7(lon),
    alt: numOrNull(r, 'alt', where, -Infinity, Infinity),
    speed: numOrNull(r, 'speed', where, -Infinity, Infinity),
    course: numOrNull(r, 'course', where, -Infinity, Infinity),
    mode,
    quality,
    sats,
    hdop: numOrNull(r, 'hdop', where, -Infinity, Infinity),
  };
}
