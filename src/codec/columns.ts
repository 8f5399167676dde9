import type { Wire } from './schema.js';


/**
 * One column of a batch (see batch.ts for the batch map): an array whose first
 * element says how the column is coded (column-writer.ts picks the smallest
 * coding, column-reader.ts reverses any of them):
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

export const RAW = 0;
export const RLE = 1;
export const DELTA_BITS = 2;
export const DELTA_VARINT = 3;
export const DELTA_RICE = 4;
export const ITEMS = 5;
/** Most array items one ITEMS column may hold in total (N records x L items). */
export const MAX_ITEMS_VALUES = 65_536;
/** Elements of each delta column before the optional presence bitmap. */
export const DELTA_LENGTH: Record<number, number> = { [DELTA_BITS]: 6, [DELTA_VARINT]: 5, [DELTA_RICE]: 6 };

/** One record's wire value in a column; undefined = absent. */
export type Cell = Wire | undefined;
