/** Reads one batch column (any coding columns.ts defines), refusing malformed ones by field name. */
import { CodecError } from './errors.js';
import { readVarints, unpackBits, unpackPresence, unpackRice } from './bits.js';
import { DELTA_BITS, DELTA_LENGTH, DELTA_RICE, DELTA_VARINT, ITEMS, MAX_ITEMS_VALUES, RAW, RLE } from './columns.js';
import type { Field } from './schema.js';

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
