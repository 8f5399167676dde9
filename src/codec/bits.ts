import { CodecError } from './errors.js';

/**
 * Integer packing used inside batch columns (all exact for safe integers; no
 * 32-bit bitwise shortcuts on values that may be larger):
 * - zig-zag maps signed to unsigned: 0,-1,1,-2,2 -> 0,1,2,3,4;
 * - LEB128 varint: 7 bits per byte, low group first, high bit = more follows;
 * - bit packing: each value in `width` bits, least significant bit first,
 *   values packed back to back from bit 0 of byte 0, the last byte padded with 0.
 */
export const MAX_WIDTH = 53;
const MAX_VARINT_BYTES = 8;

export function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bits needed for an unsigned value (0 for 0). */
export function bitWidth(z: number): number {
  let w = 0;
  let p = 1;
  while (z >= p) {
    w++;
    p *= 2;
  }
  return w;
}

export function varintLength(z: number): number {
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

export function writeVarints(zs: readonly number[]): Uint8Array {
  let len = 0;
  for (const z of zs) len += varintLength(z);
  const out = new Uint8Array(len);
  let p = 0;
  for (let z of zs) {
    while (z >= 128) {
      out[p++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    out[p++] = z;
  }
  return out;
}

/** Reads exactly `count` varints that must fill `b` exactly. */
export function readVarints(b: Uint8Array, count: number, field: string): number[] {
  const out: number[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    let z = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      if (p >= b.length) throw new CodecError(`varint data ends after ${i} of ${count} values`, field);
      if (k >= MAX_VARINT_BYTES) throw new CodecError(`varint longer than ${MAX_VARINT_BYTES} bytes`, field);
      const byte = b[p++]!;
      if (k > 0 && byte === 0) throw new CodecError('overlong varint', field);
      z += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) break;
    }
    if (z > Number.MAX_SAFE_INTEGER) throw new CodecError('varint beyond 2^53', field);
    out.push(z);
  }
  if (p !== b.length) throw new CodecError(`${b.length - p} bytes after the last varint`, field);
  return out;
}

const CHUNK = 24;

export function packBits(zs: readonly number[], width: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((zs.length * width) / 8));
  let p = 0;
  let acc = 0;
  let nbits = 0;
  for (const z of zs) {
    let rest = z;
    let left = width;
    while (left > 0) {
      const k = left < CHUNK ? left : CHUNK;
      const pk = 2 ** k;
      acc += (rest % pk) * 2 ** nbits;
      rest = Math.floor(rest / pk);
      nbits += k;
      left -= k;
      while (nbits >= 8) {
        out[p++] = acc % 256;
        acc = Math.floor(acc / 256);
        nbits -= 8;
      }
    }
  }
  if (nbits > 0) out[p] = acc;
  return out;
}

/** Unpacks `count` values of `width` bits; the length and the padding must be exact. */
export function unpackBits(b: Uint8Array, count: number, width: number, field: string): number[] {
  if (!Number.isInteger(width) || width < 0 || width > MAX_WIDTH) throw new CodecError(`bit width ${String(width)} is not 0..${MAX_WIDTH}`, field);
  const need = Math.ceil((count * width) / 8);
  if (b.length !== need) throw new CodecError(`${b.length} bytes of packed bits, expected ${need} for ${count} values of ${width} bits`, field);
  const out: number[] = new Array(count);
  let p = 0;
  let acc = 0;
  let nbits = 0;
  for (let i = 0; i < count; i++) {
    let z = 0;
    let mul = 1;
    let left = width;
    while (left > 0) {
      const k = left < CHUNK ? left : CHUNK;
      while (nbits < k) {
        acc += b[p++]! * 2 ** nbits;
        nbits += 8;
      }
      const pk = 2 ** k;
      z += (acc % pk) * mul;
      acc = Math.floor(acc / pk);
      nbits -= k;
      mul *= pk;
      left -= k;
    }
    out[i] = z;
  }
  if (acc !== 0 || p !== b.length) throw new CodecError('nonzero padding bits after the packed values', field);
  return out;
}


/** Presence bitmap: bit i (LSB first) set when record i has the field. */
export function packPresence(present: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(present.length / 8));
  present.forEach((p, i) => {
    if (p) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

export function unpackPresence(b: Uint8Array, n: number, field: string): boolean[] {
  if (b.length !== Math.ceil(n / 8)) throw new CodecError(`presence bitmap of ${b.length} bytes for ${n} records`, field);
  const out: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = (b[i >> 3]! & (1 << (i & 7))) !== 0;
  if (n % 8 !== 0 && b[b.length - 1]! >> n % 8 !== 0) throw new CodecError('presence bitmap has bits set past the last record', field);
  return out;
}
