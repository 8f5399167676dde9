import { describe, expect, it } from 'vitest';
import { decode as cborxDecode } from 'cbor-x';
import { decodeBatch, encodeBatch, TELEMETRY_V1, type TelemetryRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { telemetryToValues } from '../../src/codec/telemetry.js';
import { bitWidth, packBits, packPresence, packRice, writeVarints, zigzag } from '../../src/codec/bits.js';
import { allDrives, withSyntheticSensors } from '../support/codec-drive.js';
import { cborx } from '../support/codec-cborx.js';

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : Math.abs(a));

/**
 * Every coding of one integer column, each actually encoded (cbor-x), for
 * comparison with the one the encoder chose from statistics: RAW, RLE, and for
 * orders 1 and 2 bit-packed, varint and Rice with every k up to 24.
 */
function candidates(cells: (number | undefined)[]): number[] {
  const xs = cells.filter((c): c is number => c !== undefined);
  const presence = xs.length < cells.length ? [packPresence(cells.map((c) => c !== undefined))] : [];
  const runs: (number | null)[] = [];
  cells.forEach((c, i) => {
    if (i > 0 && c === cells[i - 1]) runs[runs.length - 1]!++;
    else runs.push(c ?? null, 1);
  });
  const sizes = [cborx([0, cells.map((c) => c ?? null)]).length, cborx([1, runs]).length];
  for (const order of [1, 2]) {
    const base = order === 1 || xs.length < 2 ? [xs[0]!] : [xs[0]!, xs[1]! - xs[0]!];
    const d1 = xs.slice(1).map((x, i) => x - xs[i]!);
    const rs = order === 1 ? d1 : d1.slice(1).map((d, i) => d - d1[i]!);
    const step = rs.reduce(gcd, 0) || 1;
    const zs = rs.map((r) => zigzag(r / step));
    const width = bitWidth(Math.max(0, ...zs));
    sizes.push(cborx([2, order, base, step, width, packBits(zs, width), ...presence]).length);
    sizes.push(cborx([3, order, base, step, writeVarints(zs), ...presence]).length);
    for (let k = 0; k <= 24; k++) sizes.push(cborx([4, order, base, step, k, packRice(zs, k), ...presence]).length);
  }
  return sizes;
}

describe('batch columns', () => {
  it('are the smallest coding of each integer column (sized from statistics, checked here by encoding every candidate)', () => {
    const fields = TELEMETRY_V1.fields;
    let checked = 0;
    for (const [name, fixes] of allDrives()) {
      const rs: TelemetryRecord[] = fixes.slice(0, 600).map((f, i) => withSyntheticSensors(recordFromFix(f, 1_000_000 + i), i));
      // Sensors that come and go in some records, so presence bitmaps are exercised.
      rs.forEach((r, i) => { if (name.includes('munich') && i % 7 < 2) delete r.rpm; });
      for (let i = 0; i + 60 <= rs.length; i += 60) {
        const batch = rs.slice(i, i + 60);
        const rows = batch.map(telemetryToValues);
        const cols = (cborxDecode(encodeBatch(batch)) as Record<number, Record<number, unknown>>)[3]!;
        fields.forEach((f, j) => {
          if (!f.integer || cols[f.tag] === undefined) return;
          const chosen = cborx(cols[f.tag]).length;
          expect(chosen, `${name} batch ${i / 60} ${f.name}`).toBe(Math.min(...candidates(rows.map((row) => (row[j] ?? undefined) as number | undefined))));
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('round-trip residuals beyond 2^31 and common steps beyond 2^31 (the 32-bit fast paths do not apply)', () => {
    const base: TelemetryRecord = { seq: 1, timeMs: 1_000, lat7: 0, lon7: 0, altDm: 0, speedCms: 0, courseCdeg: 0, mode: 3, sats: null, hdopC: null };
    const jumps = [0, 2 ** 33, 2 ** 33 + 6 * 2 ** 31, 2 ** 45, 2 ** 45 + 3, 2 ** 45 - 2 ** 40, 2 ** 50];
    const rs = jumps.map((j, i) => ({ ...base, seq: 1 + j, timeMs: 1_000 + i * 2 ** 29 * 1000, lat7: i % 2 ? -900_000_000 : 900_000_000 }));
    expect(decodeBatch(encodeBatch(rs))).toEqual(rs);
    const steps = [0, 3 * 2 ** 32, 6 * 2 ** 32, 9 * 2 ** 32].map((j) => ({ ...base, seq: 1 + j }));
    expect(decodeBatch(encodeBatch(steps))).toEqual(steps);
  });
});
