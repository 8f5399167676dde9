import { CborWriter } from './cbor-writer.js';
import { CodecError } from './errors.js';
import { bestRice, bitWidth, packBits, packPresence, packRice, readVarints, unpackBits, unpackPresence, unpackRice, unzigzag, varintLength, writeVarints, zigzag } from './bits.js';
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
 */
export const MAX_BATCH_RECORDS = 10_000;

const RAW = 0;
const RLE = 1;
const DELTA_BITS = 2;
const DELTA_VARINT = 3;
const DELTA_RICE = 4;
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

function rleColumn(out: CborWriter, f: Field, cells: Cell[]): void {
  const runs: [Cell, number][] = [];
  for (const c of cells) {
    const last = runs[runs.length - 1];
    if (last && sameCell(last[0], c)) last[1]++;
    else runs.push([c, 1]);
  }
  out.array(2);
  out.int(RLE);
  out.array(runs.length * 2);
  for (const [c, n] of runs) {
    writeCell(out, f, c);
    out.int(n);
  }
}

function gcd(a: number, b: number): number {
  while (b) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Base values, step and zig-zag residuals / step of one delta coding. */
interface Residuals {
  base: number[];
  step: number;
  zs: number[];
}

interface DeltaPlan {
  method: number;
  order: number;
  r: Residuals;
  /** width (DELTA_BITS) or k (DELTA_RICE). */
  param: number;
  size: number;
}

/** Bytes of a CBOR head with argument n (also the size of an integer, with n = |v| or -1-v). */
function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}
const intSize = (v: number) => headSize(v >= 0 ? v : -1 - v);
const bstrSize = (len: number) => headSize(len) + len;

/** Scratch for signed residuals of order 1 and 2 (no allocation while sizing). */
const R = [new Float64Array(MAX_BATCH_RECORDS), new Float64Array(MAX_BATCH_RECORDS)];

/**
 * The smallest delta coding of a column, sized without encoding it: one pass
 * computes the residuals of both orders and their common step, a second pass
 * per order their zig-zag statistics. Only the winner's residuals are built.
 */
function planDelta(xs: number[], presence: Uint8Array | null): DeltaPlan | null {
  const m = xs.length;
  const [r1, r2] = R as [Float64Array, Float64Array];
  let g1 = 0;
  let g2 = 0;
  let ok = true;
  for (let i = 1; i < m && ok; i++) {
    const d = xs[i]! - xs[i - 1]!;
    r1[i - 1] = d;
    g1 = gcd(g1, Math.abs(d));
    if (i >= 2) {
      const dd = d - r1[i - 2]!;
      r2[i - 2] = dd;
      g2 = gcd(g2, Math.abs(dd));
      ok = Math.abs(dd) <= Number.MAX_SAFE_INTEGER / 2;
    }
    ok &&= Math.abs(d) <= Number.MAX_SAFE_INTEGER / 2;
  }
  if (!ok) return null;
  let best: DeltaPlan | null = null;
  for (const order of [1, 2] as const) {
    const rs = order === 1 ? r1 : r2;
    const base = order === 1 || m < 2 ? [xs[0]!] : [xs[0]!, xs[1]! - xs[0]!];
    const count = m - base.length;
    const step = (order === 1 ? g1 : g2) || 1;
    let fixed = 1 + 1 + 1 + headSize(base.length) + intSize(step) + (presence ? bstrSize(presence.length) : 0);
    for (const b of base) fixed += intSize(b);
    const zs: number[] = new Array(count);
    let max = 0;
    let sum = 0;
    let varBytes = 0;
    for (let i = 0; i < count; i++) {
      const z = zigzag(rs[i]! / step);
      zs[i] = z;
      if (z > max) max = z;
      sum += z;
      varBytes += varintLength(z);
    }
    const width = bitWidth(max);
    const { k, bits: riceBits } = bestRice(zs, sum);
    const sizes = [
      fixed + intSize(width) + bstrSize(Math.ceil((count * width) / 8)),
      fixed + bstrSize(varBytes),
      fixed + intSize(k) + bstrSize(Math.ceil(riceBits / 8)),
    ];
    const j = sizes[0]! <= sizes[1]! && sizes[0]! <= sizes[2]! ? 0 : sizes[1]! <= sizes[2]! ? 1 : 2;
    if (!best || sizes[j]! < best.size) {
      best = { method: [DELTA_BITS, DELTA_VARINT, DELTA_RICE][j]!, order, r: { base, step, zs }, param: [width, 0, k][j]!, size: sizes[j]! };
    }
  }
  return best;
}

function writeDelta(out: CborWriter, plan: DeltaPlan, presence: Uint8Array | null): void {
  const { method, order, r, param } = plan;
  out.array(DELTA_LENGTH[method]! + (presence ? 1 : 0));
  out.int(method);
  out.int(order);
  out.array(r.base.length);
  for (const b of r.base) out.int(b);
  out.int(r.step);
  if (method === DELTA_BITS) {
    out.int(param);
    out.byteString(packBits(r.zs, param));
  } else if (method === DELTA_RICE) {
    out.int(param);
    out.byteString(packRice(r.zs, param));
  } else out.byteString(writeVarints(r.zs));
  if (presence) out.byteString(presence);
}

/** Size of the RLE coding of an integer column (null = absent). */
function rleIntSize(cells: Cell[]): number {
  let runs = 0;
  let bytes = 0;
  for (let i = 0; i < cells.length; ) {
    let j = i + 1;
    while (j < cells.length && cells[j] === cells[i]) j++;
    const c = cells[i];
    bytes += (c === undefined ? 1 : intSize(c as number)) + intSize(j - i);
    runs++;
    i = j;
  }
  return 2 + headSize(2 * runs) + bytes;
}

const scratch = [new CborWriter(1024), new CborWriter(1024)];

/**
 * Writes the smallest coding of one column. Integer columns are sized
 * arithmetically and only the winner is encoded; other types try RLE and RAW.
 */
export function writeColumn(out: CborWriter, f: Field, cells: Cell[]): void {
  if (f.integer) {
    const xs: number[] = [];
    for (const c of cells) if (c !== undefined) xs.push(c as number);
    const presence = xs.length === cells.length ? null : packPresence(cells.map((c) => c !== undefined));
    const rle = rleIntSize(cells);
    // No delta column is smaller than its fixed parts: skip planning when runs already win.
    const deltaFloor = 6 + intSize(xs[0]!) + (presence ? bstrSize(presence.length) : 0);
    const plan = rle <= deltaFloor ? null : planDelta(xs, presence);
    if (plan && plan.size < rle) writeDelta(out, plan, presence);
    else rleColumn(out, f, cells);
    return;
  }
  rleColumn(scratch[0]!.reset(), f, cells);
  rawColumn(scratch[1]!.reset(), f, cells);
  out.raw((scratch[0]!.pos <= scratch[1]!.pos ? scratch[0]! : scratch[1]!).written());
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

/** Undoes a DELTA column: wire integers per record (undefined = absent). */
function undelta(col: unknown[], n: number, field: string): unknown[] {
  const method = col[0] as number;
  const fixed = DELTA_LENGTH[method]!;
  if (col.length !== fixed && col.length !== fixed + 1) throw new CodecError(`delta column of ${col.length} elements`, field);
  const order = col[1];
  if (order !== 1 && order !== 2) throw new CodecError(`delta order ${String(order)} is not 1 or 2`, field);
  const present = col.length === fixed + 1 ? unpackPresence(bytesOf(col[fixed], field, 'presence'), n, field) : null;
  let m = n;
  if (present) m = present.reduce((k, p) => k + (p ? 1 : 0), 0);
  const base = col[2];
  if (!Array.isArray(base) || base.length !== Math.min(order, m)) throw new CodecError(`delta base must hold ${Math.min(order, m)} values`, field);
  const step = safeInt(col[3], field, 'delta step');
  if (step < 1) throw new CodecError(`delta step ${step} is not >= 1`, field);
  const count = m - base.length;
  const zs =
    method === DELTA_BITS ? unpackBits(bytesOf(col[5], field, 'packed bits'), count, safeInt(col[4], field, 'bit width'), field)
    : method === DELTA_RICE ? unpackRice(bytesOf(col[5], field, 'Rice codes'), count, safeInt(col[4], field, 'Rice parameter'), field)
    : readVarints(bytesOf(col[4], field, 'varints'), count, field);
  const xs: number[] = new Array(m);
  let prev = 0;
  let delta = 0;
  for (let i = 0; i < m; i++) {
    let x: number;
    if (i === 0) x = safeInt(base[0], field, 'delta base');
    else if (i === 1 && order === 2) {
      delta = safeInt(base[1], field, 'delta base');
      x = prev + delta;
    } else {
      const r = unzigzag(zs[i - base.length]!) * step;
      if (order === 1) x = prev + r;
      else {
        delta += r;
        x = prev + delta;
      }
    }
    if (!Number.isSafeInteger(x) || !Number.isSafeInteger(delta)) throw new CodecError('delta decoding leaves the safe integer range', field);
    xs[i] = x;
    prev = x;
  }
  if (!present) return xs;
  const out: unknown[] = new Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) out[i] = present[i] ? xs[k++] : undefined;
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
    default:
      throw new CodecError(`unknown column method ${String(col[0])}`, field);
  }
}

