import { CborWriter } from './cbor-writer.js';
import { CodecError } from './errors.js';
import { bestRice, bitWidth, packBits, packRice, readVarints, unpackBits, unpackPresence, unpackRice, varintLength, writeVarints } from './bits.js';
import type { Field, Wire } from './schema.js';

/**
 * One column of a batch (see batch.ts for the batch map): an array whose first
 * element says how the column is coded. The writer picks the smallest coding:
 *
 *   [0, [v1, ..., vN]]                                RAW: wire values, null = absent
 *   [1, [v, run, v, run, ...]]                        RLE: runs of equal values, null = absent
 *   [2, order, [base], step, width, bits, presence?]  DELTA_BITS (integer fields)
 *   [3, order, [base], step, varints, presence?]      DELTA_VARINT (integer fields)
 *   [4, order, [base], step, k, bits, presence?]      DELTA_RICE (integer fields)
 *   [5, L, [method, 1, [base], step, (param,) bytes]]  ITEMS (arrays of integers)
 *
 * For the delta codes, x1..xM are the values of the records that have the field
 * (all N unless `presence`, a bitmap, bit i LSB-first = record i has it). order 1:
 * base = [x1], residuals r_i = x_i - x_(i-1) for i = 2..M. order 2: base =
 * [x1, x2 - x1], r_i = (x_i - x_(i-1)) - (x_(i-1) - x_(i-2)) for i = 3..M (base
 * is shorter when M < order). Every residual is a multiple of `step` (>= 1; a
 * receiver that reports 0.1 degrees gives course steps of 10 in 0.01 units);
 * r_i / step is zig-zag mapped, then packed in `width` bits each (DELTA_BITS),
 * written as LEB128 varints (DELTA_VARINT) or as Golomb-Rice codes with
 * parameter k (DELTA_RICE). Decoding reverses this exactly: lossless at the
 * schema's resolution.
 *
 * ITEMS codes an array column whose records all hold exactly L integer items
 * (none null), e.g. tyre pressures: the N x L items in record order form one
 * delta column (method 2, 3 or 4, order 1, no presence) in which the previous
 * value of an item is the same item of the previous record (lag L), and the base
 * is the L items of record 1. Pressures held between samples cost a bit or so
 * per item instead of a whole array per run.
 */
export const MAX_BATCH_RECORDS = 10_000;

const RAW = 0;
const RLE = 1;
const DELTA_BITS = 2;
const DELTA_VARINT = 3;
const DELTA_RICE = 4;
const ITEMS = 5;
/** Most array items one ITEMS column may hold in total (N records x L items). */
export const MAX_ITEMS_VALUES = 65_536;
/** Elements of each delta column before the optional presence bitmap. */
const DELTA_LENGTH: Record<number, number> = { [DELTA_BITS]: 6, [DELTA_VARINT]: 5, [DELTA_RICE]: 6 };

/** One record's wire value in a column; undefined = absent. */
export type Cell = Wire | undefined;

function sameCell(a: Cell, b: Cell): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function writeCell(out: CborWriter, f: Field, c: Cell): void {
  if (c === undefined) out.null();
  else f.write(out, c);
}

function rawColumn(out: CborWriter, f: Field, cells: Cell[]): void {
  out.array(2);
  out.int(RAW);
  out.array(cells.length);
  for (const c of cells) writeCell(out, f, c);
}

/** Writes the RLE coding; returns true when every run is 2 or longer (then RLE is never larger than RAW). */
function rleColumn(out: CborWriter, f: Field, cells: Cell[]): boolean {
  const n = cells.length;
  let runs = 0;
  for (let i = 0; i < n; i++) if (i === 0 || !sameCell(cells[i - 1], cells[i])) runs++;
  out.array(2);
  out.int(RLE);
  out.array(runs * 2);
  let allLong = true;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sameCell(cells[i], cells[j])) j++;
    writeCell(out, f, cells[i]);
    out.int(j - i);
    if (j - i < 2) allLong = false;
    i = j;
  }
  return allLong;
}

function gcd(a: number, b: number): number {
  // Int32 remainders while both fit (a float modulo is far slower).
  if (a < 0x80000000 && b < 0x80000000) {
    let x = a | 0;
    let y = b | 0;
    while (y !== 0) {
      const t = x % y;
      x = y;
      y = t;
    }
    return x;
  }
  while (b) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

interface DeltaPlan {
  method: number;
  order: 1 | 2;
  step: number;
  /** width (DELTA_BITS) or k (DELTA_RICE). */
  param: number;
  /** DELTA_RICE: the residuals' length in bits. */
  riceBits: number;
  size: number;
}

/** Bytes of a CBOR head with argument n (also the size of an integer, with n = |v| or -1-v). */
function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}
const intSize = (v: number) => headSize(v >= 0 ? v : -1 - v);
const bstrSize = (len: number) => headSize(len) + len;

/**
 * Scratch for one integer column, so that sizing and writing it allocates
 * nothing per value: the present values x1..xM, the residuals of order 1 and
 * 2, and their zig-zag codes (divided by the step).
 */
let XS = new Float64Array(1024);
let R1 = new Float64Array(1024);
let R2 = new Float64Array(1024);
let Z1 = new Float64Array(1024);
let Z2 = new Float64Array(1024);

/** Grows the scratch to hold m values (kept for the next column: sized by the largest batch seen). */
function scratchFor(m: number): void {
  if (m <= XS.length) return;
  const size = Math.max(m, XS.length * 2);
  XS = new Float64Array(size);
  R1 = new Float64Array(size);
  R2 = new Float64Array(size);
  Z1 = new Float64Array(size);
  Z2 = new Float64Array(size);
}
const HALF_SAFE = Number.MAX_SAFE_INTEGER / 2;
const ORDERS = [1, 2] as const;
const ORDER_1 = [1] as const;

/** Size of the delta column of one order, whatever its residual coding, before the residuals. */
function deltaFixed(order: 1 | 2, m: number, step: number, presenceBytes: number, lag: number): number {
  const xs = XS;
  let fixed = 1 + 1 + 1 + intSize(step) + (presenceBytes > 0 ? bstrSize(presenceBytes) : 0);
  if (lag > 1) {
    fixed += headSize(lag);
    for (let i = 0; i < lag; i++) fixed += intSize(xs[i]!);
  } else if (order === 1 || m < 2) fixed += 1 + intSize(xs[0]!);
  else fixed += 1 + intSize(xs[0]!) + intSize(xs[1]! - xs[0]!);
  return fixed;
}

/** Base values of a delta column: `lag` of them with a lag, else 1 (order 1 or M < 2) or 2. */
const baseLength = (order: 1 | 2, m: number, lag: number) => (lag > 1 ? lag : order === 1 || m < 2 ? 1 : 2);

/**
 * The smallest delta coding of the M present values in XS, sized without
 * encoding it: one pass computes the residuals of both orders and their common
 * step (gcd), one pass per order their zig-zag codes and statistics (sum, max,
 * varint bytes), from which the sizes of all three residual codings follow
 * (Rice via bestRice). Null when a residual leaves the safe integer range.
 */
function planDelta(m: number, presenceBytes: number, lag = 1): DeltaPlan | null {
  const xs = XS;
  let g1 = 0;
  let g2 = 0;
  let prev = 0;
  // Zig-zag statistics of both orders for step 1, gathered in the same pass as the
  // residuals; redone below only for an order whose residuals share a factor > 1.
  let max1 = 0, sum1 = 0, var1 = 0, max2 = 0, sum2 = 0, var2 = 0;
  if (lag > 1) {
    for (let i = lag; i < m; i++) {
      const d = xs[i]! - xs[i - lag]!;
      if (!(Math.abs(d) <= HALF_SAFE)) return null;
      R1[i - lag] = d;
      if (g1 !== 1) g1 = gcd(g1, Math.abs(d));
      const z = d >= 0 ? 2 * d : -2 * d - 1;
      Z1[i - lag] = z;
      if (z > max1) max1 = z;
      sum1 += z;
      var1 += z < 0x80 ? 1 : varintLength(z);
    }
  } else for (let i = 1; i < m; i++) {
    const d = xs[i]! - xs[i - 1]!;
    if (!(Math.abs(d) <= HALF_SAFE)) return null;
    R1[i - 1] = d;
    if (g1 !== 1) g1 = gcd(g1, Math.abs(d));
    const z = d >= 0 ? 2 * d : -2 * d - 1;
    Z1[i - 1] = z;
    if (z > max1) max1 = z;
    sum1 += z;
    var1 += z < 0x80 ? 1 : varintLength(z);
    if (i >= 2) {
      const dd = d - prev;
      if (!(Math.abs(dd) <= HALF_SAFE)) return null;
      R2[i - 2] = dd;
      if (g2 !== 1) g2 = gcd(g2, Math.abs(dd));
      const z2 = dd >= 0 ? 2 * dd : -2 * dd - 1;
      Z2[i - 2] = z2;
      if (z2 > max2) max2 = z2;
      sum2 += z2;
      var2 += z2 < 0x80 ? 1 : varintLength(z2);
    }
    prev = d;
  }
  let best: DeltaPlan | null = null;
  for (const order of lag > 1 ? ORDER_1 : ORDERS) {
    const zs = order === 1 ? Z1 : Z2;
    const count = m - baseLength(order, m, lag);
    const step = (order === 1 ? g1 : g2) || 1;
    const fixed = deltaFixed(order, m, step, presenceBytes, lag);
    let max = order === 1 ? max1 : max2;
    let sum = order === 1 ? sum1 : sum2;
    let varBytes = order === 1 ? var1 : var2;
    if (step > 1) {
      const rs = order === 1 ? R1 : R2;
      max = sum = varBytes = 0;
      for (let i = 0; i < count; i++) {
        const r = rs[i]! / step;
        const z = r >= 0 ? 2 * r : -2 * r - 1; // zig-zag
        zs[i] = z;
        if (z > max) max = z;
        sum += z;
        varBytes += z < 0x80 ? 1 : varintLength(z);
      }
    }
    const width = bitWidth(max);
    const rice = bestRice(zs, sum, count);
    const bits = fixed + intSize(width) + bstrSize(Math.ceil((count * width) / 8));
    const varint = fixed + bstrSize(varBytes);
    const riceSize = fixed + intSize(rice.k) + bstrSize(Math.ceil(rice.bits / 8));
    let method = DELTA_BITS;
    let size = bits;
    let param = width;
    let riceBits = 0;
    if (varint < size) {
      method = DELTA_VARINT;
      size = varint;
      param = 0;
    }
    if (riceSize < size) {
      method = DELTA_RICE;
      size = riceSize;
      param = rice.k;
      riceBits = rice.bits;
    }
    if (!best || size < best.size) best = { method, order, step, param, riceBits, size };
  }
  return best;
}

/** Writes the planned delta column; the residuals are still in the scratch of its order. */
function writeDelta(out: CborWriter, plan: DeltaPlan, m: number, presence: Uint8Array | null, lag = 1): void {
  const { method, order, step, param, riceBits } = plan;
  const xs = XS;
  const zs = order === 1 ? Z1 : Z2;
  const bases = baseLength(order, m, lag);
  const count = m - bases;
  out.array(DELTA_LENGTH[method]! + (presence ? 1 : 0));
  out.int(method);
  out.int(order);
  out.array(bases);
  if (lag > 1) for (let i = 0; i < lag; i++) out.int(xs[i]!);
  else {
    out.int(xs[0]!);
    if (bases === 2) out.int(xs[1]! - xs[0]!);
  }
  out.int(step);
  if (method === DELTA_BITS) {
    out.int(param);
    out.byteString(packBits(zs, param, count));
  } else if (method === DELTA_RICE) {
    out.int(param);
    out.byteString(packRice(zs, param, count, riceBits));
  } else out.byteString(writeVarints(zs, count));
  if (presence) out.byteString(presence);
}

/** Writes the RLE coding of an integer column (NaN = absent). */
function rleIntColumn(out: CborWriter, vals: Float64Array, n: number, runs: number): void {
  out.array(2);
  out.int(RLE);
  out.array(runs * 2);
  for (let i = 0; i < n; ) {
    const v = vals[i]!;
    let j = i + 1;
    if (v !== v) while (j < n && vals[j] !== vals[j]) j++;
    else while (j < n && vals[j] === v) j++;
    if (v !== v) out.null();
    else out.int(v);
    out.int(j - i);
    i = j;
  }
}

/**
 * Writes the smallest coding of an integer column: vals[i] is record i's wire
 * value, NaN when absent, at least one present. One pass gathers the present
 * values, the presence bitmap and the size of the run-length coding; the delta
 * codings are sized from statistics (planDelta) and only the winner is written.
 */
export function writeIntColumn(out: CborWriter, vals: Float64Array, n: number): void {
  scratchFor(n);
  let m = 0;
  let runs = 0;
  let rleBytes = 0;
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[i]!;
    if (v === v) XS[m++] = v;
    if (i === 0 || !(v === vals[i - 1] || (v !== v && vals[i - 1] !== vals[i - 1]))) {
      if (i > 0) rleBytes += intSize(i - runStart);
      runs++;
      runStart = i;
      rleBytes += v === v ? intSize(v) : 1;
    }
  }
  rleBytes += intSize(n - runStart);
  const rle = 2 + headSize(2 * runs) + rleBytes;
  let presence: Uint8Array | null = null;
  if (m < n) {
    presence = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (vals[i] === vals[i]) presence[i >> 3]! |= 1 << (i & 7);
  }
  const presenceBytes = presence ? presence.length : 0;
  // No delta column is smaller than its fixed parts: skip planning when runs already win.
  const deltaFloor = 6 + intSize(XS[0]!) + (presence ? bstrSize(presenceBytes) : 0);
  const plan = rle <= deltaFloor ? null : planDelta(m, presenceBytes);
  if (plan && plan.size < rle) writeDelta(out, plan, m, presence);
  else rleIntColumn(out, vals, n, runs);
}

const scratch = [new CborWriter(1024), new CborWriter(1024)];

/**
 * L when every record has an array of exactly L >= 1 integer items, none null
 * (the ITEMS coding applies), with the items copied into XS in record order; else 0.
 */
function itemsLength(cells: Cell[]): number {
  const first = cells[0];
  if (!Array.isArray(first) || first.length === 0) return 0;
  const lag = first.length;
  if (cells.length * lag > MAX_ITEMS_VALUES) return 0;
  scratchFor(cells.length * lag);
  let p = 0;
  for (const c of cells) {
    if (!Array.isArray(c) || c.length !== lag) return 0;
    for (let k = 0; k < lag; k++) {
      const x = c[k];
      if (typeof x !== 'number') return 0;
      XS[p++] = x;
    }
  }
  return lag;
}
const VALS = new Float64Array(MAX_BATCH_RECORDS);

/**
 * Writes the smallest coding of one column of wire values (undefined =
 * absent). Integer columns go through writeIntColumn; other types try RLE and RAW.
 */
export function writeColumn(out: CborWriter, f: Field, cells: Cell[]): void {
  if (f.integer) {
    for (let i = 0; i < cells.length; i++) VALS[i] = cells[i] === undefined ? NaN : (cells[i] as number);
    writeIntColumn(out, VALS, cells.length);
    return;
  }
  // Each run of r >= 2 values costs one value and a count, RAW r values: RLE is
  // no larger then, and wins ties, so RAW need not be tried.
  let best = scratch[0]!.reset();
  if (!rleColumn(best, f, cells)) {
    rawColumn(scratch[1]!.reset(), f, cells);
    if (scratch[1]!.pos < best.pos) best = scratch[1]!;
  }
  const lag = f.integerItems ? itemsLength(cells) : 0;
  if (lag > 0) {
    const m = cells.length * lag;
    const plan = planDelta(m, 0, lag);
    // [5, L, inner]: array head, method, L, then the inner delta column.
    if (plan && 2 + intSize(lag) + plan.size < best.pos) {
      out.array(3);
      out.int(ITEMS);
      out.int(lag);
      writeDelta(out, plan, m, null, lag);
      return;
    }
  }
  out.raw(best.written());
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safeInt(v: unknown, field: string, what: string): number {
  if (typeof v === 'bigint' && v >= -MAX_SAFE && v <= MAX_SAFE) return Number(v);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new CodecError(`${what} must be an integer`, field);
  return v;
}

function bytesOf(v: unknown, field: string, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new CodecError(`${what} must be a byte string`, field);
  return v;
}

function expand(cells: unknown[], n: number, field: string, rle: boolean): unknown[] {
  if (!rle) {
    if (cells.length !== n) throw new CodecError(`RAW column has ${cells.length} values for ${n} records`, field);
    return cells;
  }
  if (cells.length % 2 !== 0) throw new CodecError('RLE column needs value/run pairs', field);
  const out: unknown[] = [];
  for (let i = 0; i < cells.length; i += 2) {
    const run = cells[i + 1];
    if (typeof run !== 'number' || !Number.isInteger(run) || run < 1 || run > n - out.length) {
      throw new CodecError(`RLE run ${String(run)} is not 1..${n - out.length}`, field);
    }
    for (let k = 0; k < run; k++) out.push(cells[i]);
  }
  if (out.length !== n) throw new CodecError(`RLE runs cover ${out.length} of ${n} records`, field);
  return out;
}

/** Zig-zag decoding; 32-bit operations below 2^31 (a float modulo costs more than the rest of the loop). */
const unzig = (z: number): number => (z < 0x80000000 ? (z >>> 1) ^ -(z & 1) : z % 2 === 0 ? z / 2 : -(z + 1) / 2);

const outOfSafe = (field: string) => new CodecError('delta decoding leaves the safe integer range', field);

/**
 * Undoes a DELTA column: wire integers per record (undefined = absent). With
 * lag L > 1 (inside ITEMS) the column is order 1 without presence, has L base
 * values, and each value follows the one L places before it.
 */
function undelta(col: unknown[], n: number, field: string, lag = 1): unknown[] {
  const method = col[0] as number;
  const fixed = DELTA_LENGTH[method];
  if (fixed === undefined) throw new CodecError(`unknown delta method ${String(method)}`, field);
  if (col.length !== fixed && (col.length !== fixed + 1 || lag > 1)) throw new CodecError(`delta column of ${col.length} elements`, field);
  const order = col[1];
  if (order !== 1 && (order !== 2 || lag > 1)) throw new CodecError(`delta order ${String(order)} is not ${lag > 1 ? '1' : '1 or 2'}`, field);
  const present = col.length === fixed + 1 ? unpackPresence(bytesOf(col[fixed], field, 'presence'), n, field) : null;
  let m = n;
  if (present) m = present.reduce((k, p) => k + (p ? 1 : 0), 0);
  const bases = lag > 1 ? lag : Math.min(order, m);
  const base = col[2];
  if (!Array.isArray(base) || base.length !== bases) throw new CodecError(`delta base must hold ${bases} values`, field);
  const step = safeInt(col[3], field, 'delta step');
  if (step < 1) throw new CodecError(`delta step ${step} is not >= 1`, field);
  const count = m - base.length;
  const zs =
    method === DELTA_BITS ? unpackBits(bytesOf(col[5], field, 'packed bits'), count, safeInt(col[4], field, 'bit width'), field)
    : method === DELTA_RICE ? unpackRice(bytesOf(col[5], field, 'Rice codes'), count, safeInt(col[4], field, 'Rice parameter'), field)
    : readVarints(bytesOf(col[4], field, 'varints'), count, field);
  // Base values, then one tight loop per shape; every value stays a safe integer.
  const nb = base.length;
  const xs: number[] = new Array(m);
  const MAX = Number.MAX_SAFE_INTEGER;
  for (let i = 0; i < nb; i++) xs[i] = safeInt(base[i], field, 'delta base');
  if (order === 2 && nb === 2) {
    let delta = xs[1]!;
    let x = xs[0]! + delta;
    if (!(Math.abs(x) <= MAX)) throw outOfSafe(field);
    xs[1] = x;
    for (let i = 2; i < m; i++) {
      const z = zs[i - 2]!;
      delta += unzig(z) * step;
      x += delta;
      if (!(Math.abs(delta) <= MAX && Math.abs(x) <= MAX)) throw outOfSafe(field);
      xs[i] = x;
    }
  } else {
    // order 1 (also order 2 with a single value); lag > 1 inside ITEMS
    for (let i = nb; i < m; i++) {
      const z = zs[i - nb]!;
      const x = xs[i - lag]! + unzig(z) * step;
      if (!(Math.abs(x) <= MAX)) throw outOfSafe(field);
      xs[i] = x;
    }
  }
  if (!present) return xs;
  const out: unknown[] = new Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) out[i] = present[i] ? xs[k++] : undefined;
  return out;
}

/** Undoes an ITEMS column [5, L, inner delta column]: N arrays of L integers. */
function unitems(f: Field, col: unknown[], n: number): unknown[] {
  const field = f.name;
  if (!f.integerItems) throw new CodecError('ITEMS coding on a field that is not an array of integers', field);
  if (col.length !== 3 || !Array.isArray(col[2])) throw new CodecError('ITEMS column must be [5, L, [delta column]]', field);
  const lag = col[1];
  const maxItems = (f.spec as { maxItems: number }).maxItems;
  if (typeof lag !== 'number' || !Number.isInteger(lag) || lag < 1 || lag > maxItems) throw new CodecError(`ITEMS length ${String(lag)} is not 1..${maxItems}`, field);
  if (n * lag > MAX_ITEMS_VALUES) throw new CodecError(`ITEMS column of ${n} x ${lag} values exceeds ${MAX_ITEMS_VALUES}`, field);
  const inner = col[2] as unknown[];
  if (inner[0] !== DELTA_BITS && inner[0] !== DELTA_VARINT && inner[0] !== DELTA_RICE) throw new CodecError(`ITEMS inner method ${String(inner[0])} is not a delta coding`, field);
  const xs = undelta(inner, n * lag, field, lag);
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = xs.slice(i * lag, (i + 1) * lag);
  return out;
}

/** Decodes a column into N wire values (undefined or null = absent). */
export function decodeColumn(f: Field, col: unknown, n: number): unknown[] {
  const field = f.name;
  if (!Array.isArray(col) || col.length < 2) throw new CodecError('column must be an array [method, ...]', field);
  switch (col[0]) {
    case RAW:
    case RLE:
      if (col.length !== 2 || !Array.isArray(col[1])) throw new CodecError('RAW/RLE column must be [method, [values]]', field);
      return expand(col[1], n, field, col[0] === RLE);
    case DELTA_BITS:
    case DELTA_VARINT:
    case DELTA_RICE:
      if (!f.integer) throw new CodecError('delta coding on a field that is not an integer', field);
      return undelta(col, n, field);
    case ITEMS:
      return unitems(f, col, n);
    default:
      throw new CodecError(`unknown column method ${String(col[0])}`, field);
  }
}

