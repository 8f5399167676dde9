/**
 * Field parsers shared by the sentence decoders. Each returns the value, `null` for an
 * empty field (the receiver does not know), or throws FieldError for text that is not
 * what the field allows: the decoder turns that into a counted "malformed" sentence.
 */
import type { Position } from './types.js';

export class FieldError extends Error {
  override name = 'FieldError';
}

/** Throws the FieldError for a field `what` holding `text`. */
export function malformed(what: string, text: string): never {
  throw new FieldError(`${what}: ${JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}...` : text)}`);
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** True for [-+]?(digits[.digits]|.digits): the only number forms NMEA uses. */
function isDecimal(s: string): boolean {
  let i = 0;
  const n = s.length;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x2d || c0 === 0x2b) i = 1;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e && !dot) dot = true;
    else return false;
  }
  return digits > 0 && n <= 24;
}

/** A decimal number field. */
export function num(s: string | undefined, what: string): number | null {
  if (s === undefined || s === '') return null;
  if (!isDecimal(s)) malformed(what, s);
  return Number(s);
}

/** A non-negative integer field. */
export function int(s: string | undefined, what: string): number | null {
  if (s === undefined || s === '') return null;
  if (s.length > 9) malformed(what, s);
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) malformed(what, s);
    v = v * 10 + c;
  }
  return v;
}

/** The integer value of the digits s[from, to), or -1 if any is not a digit. */
function digitsValue(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * UTC time of day `hhmmss[.sss]` in milliseconds. Digits beyond milliseconds are
 * truncated (no receiver here sends them). Second 60 is a leap second and is kept as is
 * (it lands on the next second's millisecond count, like gpsd).
 */
export function timeOfDay(s: string | undefined): number | null {
  if (s === undefined || s === '') return null;
  if (s.length < 6 || !isDigits(s, 0, 6)) malformed('time', s);
  const hh = (s.charCodeAt(0) - 48) * 10 + s.charCodeAt(1) - 48;
  const mm = (s.charCodeAt(2) - 48) * 10 + s.charCodeAt(3) - 48;
  const ss = (s.charCodeAt(4) - 48) * 10 + s.charCodeAt(5) - 48;
  if (hh > 23 || mm > 59 || ss > 60) malformed('time', s);
  let ms = 0;
  if (s.length > 6) {
    if (s.charCodeAt(6) !== 0x2e || !isDigits(s, 7, s.length)) malformed('time', s);
    const frac = s.slice(7, 10).padEnd(3, '0');
    ms = Number(frac);
  }
  return ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A calendar date as ms at UTC midnight; throws on an impossible date (31 Feb). */
export function dayMs(y: number, m: number, d: number, text: string): number {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) malformed('date', text);
  return Date.UTC(y, m - 1, d);
}

/** RMC date `ddmmyy`. Two-digit years 80-99 are 19xx, 00-79 are 20xx (GPS began in 1980). */
export function rmcDate(s: string | undefined): number | null {
  if (s === undefined || s === '') return null;
  if (s.length !== 6 || !isDigits(s, 0, 6)) malformed('date', s);
  const d = Number(s.slice(0, 2));
  const m = Number(s.slice(2, 4));
  const yy = Number(s.slice(4, 6));
  return dayMs(yy >= 80 ? 1900 + yy : 2000 + yy, m, d, s);
}

export interface Coord {
  /** Degrees as a double: (whole minutes scaled) / (60 * scale), one correctly rounded division. */
  deg: number;
  /** Integer 1e-7 degrees, rounded half away from zero in integer arithmetic. */
  deg7: number;
}

const MAX_FRACTION_DIGITS = 9;
const POW10 = Array.from({ length: MAX_FRACTION_DIGITS + 8 }, (_, i) => 10 ** i);

/**
 * `ddmm.mmmm` (latitude) or `dddmm.mmmm` (longitude) with its hemisphere, converted
 * exactly: the minutes are read as an integer count of 10^-k minutes, so
 *   deg7 = D * 1e7 + round(mInt * 10^(7-k) / 60)   (all integers < 2^53)
 *   deg  = (D * 60 * 10^k + mInt) / (60 * 10^k)     (one division of exact integers)
 * and no binary fraction ever enters the 1e-7 value.
 */
export function coord(text: string | undefined, hemi: string | undefined, isLat: boolean): Coord | null {
  if ((text === undefined || text === '') && (hemi === undefined || hemi === '')) return null;
  const what = isLat ? 'latitude' : 'longitude';
  if (text === undefined || text === '') return malformed(what, `,${hemi ?? ''}`);
  let sign: number;
  if (isLat ? hemi === 'N' : hemi === 'E') sign = 1;
  else if (isLat ? hemi === 'S' : hemi === 'W') sign = -1;
  else return malformed(`${what} hemisphere`, hemi ?? '');
  const dot = text.indexOf('.');
  const intEnd = dot < 0 ? text.length : dot;
  const k = dot < 0 ? 0 : text.length - dot - 1;
  if (intEnd < 3 || intEnd > (isLat ? 4 : 5) || k > MAX_FRACTION_DIGITS) malformed(what, text);
  const whole = digitsValue(text, 0, intEnd);
  const frac = k > 0 ? digitsValue(text, dot + 1, text.length) : 0;
  if (whole < 0 || frac < 0) malformed(what, text);
  const D = Math.floor(whole / 100);
  const mm = whole - D * 100;
  if (mm >= 60 || D > (isLat ? 90 : 180)) malformed(what, text);
  const scale = POW10[k]!;
  const mInt = mm * scale + frac;
  let frac7: number;
  if (k <= 7) {
    const n = mInt * POW10[7 - k]!;
    const q = Math.floor(n / 60);
    frac7 = 2 * (n - q * 60) >= 60 ? q + 1 : q;
  } else {
    const den = 60 * POW10[k - 7]!;
    const q = Math.floor(mInt / den);
    frac7 = 2 * (mInt - q * den) >= den ? q + 1 : q;
  }
  const deg7 = D * 10_000_000 + frac7;
  if (deg7 > (isLat ? 900_000_000 : 1_800_000_000)) malformed(what, text);
  const deg = (D * 60 * scale + mInt) / (60 * scale);
  return { deg: sign * deg, deg7: sign * deg7 };
}

/** Latitude, N/S, longitude, E/W at f[i..i+3]; null when all four are empty. */
export function position(f: string[], i: number): Position | null {
  const lat = coord(f[i], f[i + 1], true);
  const lon = coord(f[i + 2], f[i + 3], false);
  if (lat === null && lon === null) return null;
  if (lat === null || lon === null) malformed('position', `${f[i] ?? ''},${f[i + 1] ?? ''},${f[i + 2] ?? ''},${f[i + 3] ?? ''}`);
  return { lat: lat.deg, lon: lon.deg, lat7: lat.deg7, lon7: lon.deg7 };
}

/** A one-letter field from a fixed set (status A/V, units). */
export function letter(s: string | undefined, allowed: string, what: string): string | null {
  if (s === undefined || s === '') return null;
  if (s.length !== 1 || !allowed.includes(s)) malformed(what, s);
  return s;
}

/** FAA mode indicator (NMEA 2.3+): N = not valid; A D E F R P M S = some fix. */
export function modeIndicator(s: string | undefined): string | null {
  return letter(s, 'ADEFMNPRS', 'mode indicator');
}
