import { CodecError } from './errors.js';

/**
 * STAND-IN until src/gnss/fix.ts lands: the Fix shape of CONTRACTS.md and the
 * JSON line `geostream nmea` prints, with a validating parser. Kept small so the
 * lead can fold it into gnss's fixFromJson/fixToJson at merge and delete this file.
 */
export interface Fix {
  timeMs: number;
  lat: number | null;
  lon: number | null;
  lat7: number | null;
  lon7: number | null;
  alt: number | null;
  speed: number | null;
  course: number | null;
  mode: 1 | 2 | 3;
  quality: number | null;
  sats: number | null;
  hdop: number | null;
}

export interface FixJson {
  time: string;
  lat: number | null;
  lon: number | null;
  alt: number | null;
  speed: number | null;
  course: number | null;
  mode: 1 | 2 | 3;
  quality: number | null;
  sats: number | null;
  hdop: number | null;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

type NumKey = 'lat' | 'lon' | 'alt' | 'speed' | 'course' | 'quality' | 'sats' | 'hdop';
const RANGES: Record<NumKey, [number, number, boolean]> = {
  // [min, max, integer]
  lat: [-90, 90, false],
  lon: [-180, 180, false],
  alt: [-100_000, 1_000_000, false],
  speed: [0, 100_000, false],
  course: [0, 360, false],
  quality: [0, 9, true],
  sats: [0, 255, true],
  hdop: [0, 655, false],
};

/** Validates one parsed JSON line; the error names the key and says where. */
export function fixFromJson(o: unknown, where: string): Fix {
  const bad = (key: string, why: string): never => {
    throw new CodecError(`${where}: ${why}`, key);
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('fix', 'expected a JSON object');
  const j = o as Record<string, unknown>;
  const time = j.time;
  if (typeof time !== 'string' || !ISO.test(time)) bad('time', `expected an ISO 8601 UTC time like 2020-07-11T22:37:45.000Z, got ${JSON.stringify(time)}`);
  const timeMs = Date.parse(time as string);
  if (!Number.isFinite(timeMs) || timeMs < 0) bad('time', `not a valid time: ${String(time)}`);
  const num = (k: NumKey): number | null => {
    const v = j[k];
    if (v === null || v === undefined) return null;
    const [min, max, integer] = RANGES[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      bad(k, `expected ${integer ? 'an integer' : 'a number'} in ${min}..${max} or null, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const mode = j.mode;
  if (mode !== 1 && mode !== 2 && mode !== 3) bad('mode', `expected 1, 2 or 3, got ${JSON.stringify(mode)}`);
  const lat = num('lat');
  const lon = num('lon');
  if ((lat === null) !== (lon === null)) bad(lat === null ? 'lat' : 'lon', 'lat and lon must both be numbers or both null');
  return {
    timeMs,
    lat,
    lon,
    lat7: lat === null ? null : Math.round(lat * 1e7),
    lon7: lon === null ? null : Math.round(lon * 1e7),
    alt: num('alt'),
    speed: num('speed'),
    course: num('course'),
    mode: mode as 1 | 2 | 3,
    quality: num('quality'),
    sats: num('sats'),
    hdop: num('hdop'),
  };
}
