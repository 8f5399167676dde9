/**
 * Reading J1939-71 parameters from a PGN's data, little-endian. Each width keeps its top
 * range for signals (J1939-71, "parameter ranges"): 1 byte 0x00-0xFA valid, 0xFB-0xFD
 * reserved, 0xFE error, 0xFF not available; 2 bytes 0x0000-0xFAFF valid, 0xFExx error,
 * 0xFFxx not available; 4 bytes 0x00000000-0xFAFFFFFF valid. Anything outside the valid
 * range, or past the end of a short message, reads as `undefined`: never a number.
 * Bit fields of 2 bits: 00 off, 01 on, 10 error, 11 not available.
 */

/** 1-byte parameter at byte `i` (0-based), scaled. */
export function u8(d: Uint8Array, i: number, res = 1, offset = 0): number | undefined {
  const v = d[i];
  return v === undefined || v > 0xfa ? undefined : v * res + offset;
}

export function u16(d: Uint8Array, i: number, res = 1, offset = 0): number | undefined {
  if (i + 2 > d.length) return undefined;
  const v = d[i]! | (d[i + 1]! << 8);
  return v > 0xfaff ? undefined : v * res + offset;
}

export function u32(d: Uint8Array, i: number, res = 1, offset = 0): number | undefined {
  if (i + 4 > d.length) return undefined;
  const v = (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24)) >>> 0;
  return v > 0xfaffffff ? undefined : v * res + offset;
}

/** 2-bit state at byte `i`, bit `shift` (0, 2, 4, 6): true/false, undefined for error or n/a. */
export function bit2(d: Uint8Array, i: number, shift: number): boolean | undefined {
  const b = d[i];
  if (b === undefined) return undefined;
  const v = (b >> shift) & 3;
  return v === 0 ? false : v === 1 ? true : undefined;
}

/** Rounds away binary noise from a scaled value (0.05 * 123 = 6.1499999...). */
export function tidy(v: number | undefined, digits = 6): number | undefined {
  return v === undefined ? undefined : Number(v.toFixed(digits));
}
