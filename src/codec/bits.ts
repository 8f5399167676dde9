import { CodecError } from './errors.js';

/**
 * Integer packing used inside batch columns (all exact for safe integers; no
 * 32-bit bitwise shortcuts on values that may be larger):
 * - zig-zag maps signed to unsigned: 0,-1,1,-2,2 -> 0,1,2,3,4;
 * - LEB128 varint: 7 bits per byte, low group first, high bit = more follows;
 * - bit packing: each value in `width` bits, least significant bit first,
 *   values packed back to back from bit 0 of byte 0, the last byte padded with 0;
 * - Golomb-Rice codes in the same bit order (see packRice).
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
  if (z < 0x80000000) return 32 - Math.clz32(z);
  let w = 31;
  let p = 0x80000000;
  while (z >= p) {
    w++;
    p *= 2;
  }
  return w;
}

export function varintLength(z: number): number {
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  let n = 4;
  for (let p = 0x10000000; z >= p; p *= 128) n++;
  return n;
}

/** The first `count` values (default all) as back-to-back varints. */
export function writeVarints(zs: ArrayLike<number>, count = zs.length): Uint8Array {
  let len = 0;
  for (let i = 0; i < count; i++) len += varintLength(zs[i]!);
  const out = Buffer.allocUnsafe(len); // every byte is written below
  let p = 0;
  for (let i = 0; i < count; i++) {
    let z = zs[i]!;
    while (z >= 128) {
      if (z < 0x80000000) {
        out[p++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      } else {
        out[p++] = (z % 128) | 0x80;
        z = Math.floor(z / 128);
      }
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
const CHUNK_MASK = 0xffffff;

/**
 * Writes bit fields least significant bit first, from bit 0 of byte 0, into a
 * buffer of the size the caller computed. The accumulator stays below 2^31, so
 * 32-bit operations are exact; values wider than 24 bits go in 24-bit pieces.
 */
export class BitWriter {
  private out: Uint8Array;
  private p = 0;
  private acc = 0;
  private nbits = 0;

  constructor(bytes: number) {
    // Pooled and not zeroed: every byte is written exactly once (finish() checks).
    this.out = Buffer.allocUnsafe(bytes);
  }

  private chunk(c: number, k: number): void {
    this.acc |= c << this.nbits;
    this.nbits += k;
    while (this.nbits >= 8) {
      this.out[this.p++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.nbits -= 8;
    }
  }

  /** The low `width` bits of `z` (0 <= z < 2^53, width <= 53). */
  bits(z: number, width: number): void {
    if (width <= CHUNK) {
      this.chunk(z & CHUNK_MASK, width);
      return;
    }
    let rest = z;
    for (let left = width; left > 0; left -= CHUNK) {
      const k = left < CHUNK ? left : CHUNK;
      this.chunk(rest % 2 ** k, k);
      rest = Math.floor(rest / 2 ** k);
    }
  }

  /** `q` one bits then a zero bit. */
  unary(q: number): void {
    for (; q >= CHUNK; q -= CHUNK) this.chunk(CHUNK_MASK, CHUNK);
    this.chunk((1 << q) - 1, q + 1);
  }

  /** The bytes, the last one padded with zero bits. */
  finish(): Uint8Array {
    if (this.nbits > 0) this.out[this.p++] = this.acc;
    if (this.p !== this.out.length) throw new Error(`BitWriter: wrote ${this.p} of ${this.out.length} bytes`);
    return this.out;
  }
}

/** Reads what BitWriter wrote; never reads past the data (CodecError instead). */
export class BitReader {
  private p = 0;
  private acc = 0;
  private nbits = 0;

  constructor(
    private readonly b: Uint8Array,
    private readonly field: string,
  ) {}

  private load(): void {
    if (this.p >= this.b.length) throw new CodecError('packed bits end before the last value', this.field);
    this.acc |= this.b[this.p++]! << this.nbits;
    this.nbits += 8;
  }

  private chunk(k: number): number {
    while (this.nbits < k) this.load();
    const c = k === CHUNK ? this.acc & CHUNK_MASK : this.acc & ((1 << k) - 1);
    this.acc >>>= k;
    this.nbits -= k;
    return c;
  }

  bits(width: number): number {
    if (width <= CHUNK) return this.chunk(width);
    let z = 0;
    let mul = 1;
    for (let left = width; left > 0; left -= CHUNK) {
      const k = left < CHUNK ? left : CHUNK;
      z += this.chunk(k) * mul;
      mul *= 2 ** k;
    }
    return z;
  }

  /** Counts one bits up to a zero bit; bounded by the data. */
  unary(): number {
    let q = 0;
    for (;;) {
      if (this.nbits === 0) this.load();
      // Trailing one bits of acc (bits above nbits are 0, and bit 31 is never set,
      // so ~acc has a set bit at or below nbits).
      const inv = ~this.acc;
      const ones = 31 - Math.clz32(inv & -inv);
      if (ones < this.nbits) {
        this.acc >>>= ones + 1;
        this.nbits -= ones + 1;
        return q + ones;
      }
      q += this.nbits;
      this.acc = 0;
      this.nbits = 0;
    }
  }

  /** The data must end here: no whole byte left, padding bits zero. */
  end(): void {
    if (this.acc !== 0 || this.p !== this.b.length) throw new CodecError('data after the packed values (or nonzero padding bits)', this.field);
  }
}

export function packBits(zs: ArrayLike<number>, width: number, count = zs.length): Uint8Array {
  const w = new BitWriter(Math.ceil((count * width) / 8));
  for (let i = 0; i < count; i++) w.bits(zs[i]!, width);
  return w.finish();
}

/** Unpacks `count` values of `width` bits; the length and the padding must be exact. */
export function unpackBits(b: Uint8Array, count: number, width: number, field: string): number[] {
  if (!Number.isInteger(width) || width < 0 || width > MAX_WIDTH) throw new CodecError(`bit width ${String(width)} is not 0..${MAX_WIDTH}`, field);
  const need = Math.ceil((count * width) / 8);
  if (b.length !== need) throw new CodecError(`${b.length} bytes of packed bits, expected ${need} for ${count} values of ${width} bits`, field);
  const r = new BitReader(b, field);
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = r.bits(width);
  r.end();
  return out;
}

/**
 * Golomb-Rice code with parameter k: z = q * 2^k + low is written as q one bits,
 * a zero bit, then low in k bits. Small values stay short while a rare large one
 * costs only its own bits (bit packing pays the widest value for every value).
 */
export function riceCost(zs: ArrayLike<number>, k: number, count = zs.length): number {
  const pk = 2 ** k;
  let bits = count * (k + 1);
  for (let i = 0; i < count; i++) {
    const z = zs[i]!;
    bits += z < 0x80000000 && k < 31 ? z >>> k : Math.floor(z / pk);
  }
  return bits;
}

/**
 * The Rice parameter with the fewest bits, among log2(mean) - 2 .. + 2, and
 * its cost in bits. One pass over the values.
 */
export function bestRice(zs: ArrayLike<number>, sum: number, m = zs.length): { k: number; bits: number } {
  if (m === 0) return { k: 0, bits: 0 };
  const k0 = Math.max(0, Math.floor(Math.log2(sum / m + 1)) - 2);
  const k1 = Math.min(MAX_WIDTH, k0 + 4);
  if (k1 >= 31 || sum >= 0x80000000 * 8) {
    let best = { k: k0, bits: riceCost(zs, k0, m) };
    for (let k = k0 + 1; k <= k1; k++) {
      const bits = riceCost(zs, k, m);
      if (bits < best.bits) best = { k, bits };
    }
    return best;
  }
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0;
  for (let i = 0; i < m; i++) {
    const z = zs[i]! >>> k0;
    c0 += z;
    c1 += z >>> 1;
    c2 += z >>> 2;
    c3 += z >>> 3;
    c4 += z >>> 4;
  }
  // Cost with parameter k0 + j is c_j + m * (k0 + j + 1); the first smallest wins.
  let k = k0;
  let bits = c0 + m * (k0 + 1);
  if (c1 + m * (k0 + 2) < bits) {
    k = k0 + 1;
    bits = c1 + m * (k0 + 2);
  }
  if (c2 + m * (k0 + 3) < bits) {
    k = k0 + 2;
    bits = c2 + m * (k0 + 3);
  }
  if (c3 + m * (k0 + 4) < bits) {
    k = k0 + 3;
    bits = c3 + m * (k0 + 4);
  }
  if (c4 + m * (k0 + 5) < bits) {
    k = k0 + 4;
    bits = c4 + m * (k0 + 5);
  }
  return { k, bits };
}

export function packRice(zs: ArrayLike<number>, k: number, count = zs.length, bits = riceCost(zs, k, count)): Uint8Array {
  const bytes = Math.ceil(bits / 8);
  if (k <= 16) {
    const fast = packRiceSmall(zs, k, count, bytes);
    if (fast) return fast;
  }
  const w = new BitWriter(bytes);
  const pk = 2 ** k;
  const mask = k < 31 ? (1 << k) - 1 : 0;
  for (let i = 0; i < count; i++) {
    const z = zs[i]!;
    if (z < 0x80000000 && k < 31) {
      w.unary(z >>> k);
      w.bits(z & mask, k);
    } else {
      w.unary(Math.floor(z / pk));
      w.bits(z % pk, k);
    }
  }
  return w.finish();
}

/**
 * packRice for k <= 16 and values below 2^31, with the bit accumulator in local
 * variables (the common case: a few hundred residuals per batch column). Each
 * code goes in as at most one field of <= 24 bits after 16-bit runs of ones, so
 * the accumulator (< 8 bits left + 24) never reaches bit 31. Null when a value
 * is out of its range (the general path then packs the column).
 */
function packRiceSmall(zs: ArrayLike<number>, k: number, count: number, bytes: number): Uint8Array | null {
  const out = Buffer.allocUnsafe(bytes); // every byte is written below
  const mask = (1 << k) - 1;
  let acc = 0;
  let n = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    const z = zs[i]!;
    if (!(z < 0x80000000)) return null;
    let q = z >>> k;
    if (q + 1 + k > 24) {
      // Long code (rare): 16 ones at a time, then the rest of the ones and the
      // zero (<= 16 bits), then the k <= 16 low bits.
      for (; q >= 16; q -= 16) {
        acc |= 0xffff << n;
        n += 16;
        for (; n >= 8; n -= 8) {
          if (p >= bytes) return null;
          out[p++] = acc & 0xff;
          acc >>>= 8;
        }
      }
      acc |= ((1 << q) - 1) << n;
      n += q + 1;
      for (; n >= 8; n -= 8) {
        if (p >= bytes) return null;
        out[p++] = acc & 0xff;
        acc >>>= 8;
      }
      acc |= (z & mask) << n;
      n += k;
    } else {
      acc |= (((1 << q) - 1) | ((z & mask) << (q + 1))) << n;
      n += q + 1 + k;
    }
    for (; n >= 8; n -= 8) {
      if (p >= bytes) return null;
      out[p++] = acc & 0xff;
      acc >>>= 8;
    }
  }
  if (n > 0) {
    if (p >= bytes) return null;
    out[p++] = acc & 0xff;
  }
  if (p !== bytes) throw new Error(`packRice: wrote ${p} of ${bytes} bytes`);
  return out;
}

export function unpackRice(b: Uint8Array, count: number, k: number, field: string): number[] {
  if (!Number.isInteger(k) || k < 0 || k > MAX_WIDTH) throw new CodecError(`Rice parameter ${String(k)} is not 0..${MAX_WIDTH}`, field);
  const r = new BitReader(b, field);
  const pk = 2 ** k;
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const z = r.unary() * pk + r.bits(k);
    if (z > Number.MAX_SAFE_INTEGER) throw new CodecError('Rice value beyond 2^53', field);
    out[i] = z;
  }
  r.end();
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
