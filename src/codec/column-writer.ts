/** Writes one batch column in the smallest of the codings columns.ts defines. */
import { CborWriter } from './cbor-writer.js';
import { bestRice, bitWidth, packBits, packRice, varintLength, writeVarints } from './bits.js';
import { DELTA_BITS, DELTA_LENGTH, DELTA_RICE, DELTA_VARINT, ITEMS, MAX_BATCH_RECORDS, MAX_ITEMS_VALUES, RAW, RLE, type Cell } from './columns.js';
import type { Field } from './schema.js';

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
