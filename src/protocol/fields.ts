import { CloseCode, ProtocolError } from './close-codes.js';
import type { SeqRange } from './ranges.js';

/** Checks of decoded frame payload fields; every error names the frame and the field. */

export type Obj = Record<string, unknown>;

export function bad(frame: string, what: string): never {
  throw new ProtocolError(CloseCode.protocol, `${frame}: ${what}`);
}
export function obj(frame: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(frame, 'payload is not a map');
  return v as Obj;
}
/** Integers above 2^53 - 1 decode as bigint: name the limit rather than the type. */
export function tooBig(frame: string, what: string, v: unknown): void {
  if (typeof v === 'bigint') bad(frame, `${what} is ${v}, above the limit ${Number.MAX_SAFE_INTEGER}`);
}
export function uint(frame: string, o: Obj, k: string): number {
  const v = o[k];
  tooBig(frame, `'${k}'`, v);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(frame, `'${k}' must be an unsigned integer`);
  return v;
}
export function int(frame: string, o: Obj, k: string): number {
  const v = o[k];
  tooBig(frame, `'${k}'`, v);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(frame, `'${k}' must be an integer`);
  return v;
}
/** Largest ms since the epoch a Date holds (ECMA-262 21.4.1.1). */
const DATE_MAX_MS = 8.64e15;
/** A wall-clock time in ms since the epoch that a Date can show. */
export function wallTime(frame: string, o: Obj, k: string): number {
  const v = uint(frame, o, k);
  if (v > DATE_MAX_MS) bad(frame, `'${k}' must be ms since the epoch of at most ${DATE_MAX_MS} (is ${v})`);
  return v;
}
export function str(frame: string, o: Obj, k: string, max: number, re?: RegExp): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max || (re && !re.test(v))) bad(frame, `'${k}' must be a string${re ? ` matching ${re}` : ''} of at most ${max} characters`);
  return v;
}
export function bytes(frame: string, v: unknown, what: string, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) bad(frame, `${what} must be a byte string`);
  if (v.length > max) throw new ProtocolError(CloseCode.tooLarge, `${frame}: ${what} is ${v.length} bytes, limit ${max}`);
  return v;
}
export function ranges(frame: string, v: unknown, k: string, max: number): SeqRange[] {
  if (!Array.isArray(v)) bad(frame, `'${k}' must be an array of [from, to]`);
  if (v.length > max) throw new ProtocolError(CloseCode.tooLarge, `${frame}: '${k}' has ${v.length} ranges, limit ${max}`);
  let prev = 0;
  return v.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2) bad(frame, `'${k}[${i}]' must be [from, to]`);
    const [a, b] = r as unknown[];
    tooBig(frame, `'${k}[${i}]'`, typeof a === 'bigint' ? a : b);
    if (typeof a !== 'number' || typeof b !== 'number' || !Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 1 || b < a || a <= prev)
      bad(frame, `'${k}[${i}]' must be ascending, disjoint ranges of seqs >= 1`);
    prev = b;
    return [a, b] as SeqRange;
  });
}

export const DEVICE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SPOOL_ID_RE = /^[0-9a-f]{8,64}$/;
