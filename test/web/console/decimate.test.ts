import { describe, expect, it } from 'vitest';
import { chartIndices } from '../../../web/console/decimate.js';

/** A day at 1 Hz: a smooth series, a noisy one with runs of nulls. */
function day(n = 86_400): { t: number[]; a: number[]; b: (number | null)[] } {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const t = Array.from({ length: n }, (_, i) => 1_700_000_000 + i);
  const a = t.map((_, i) => Math.sin(i / 900) * 40 + 50);
  const b = t.map((_, i) => (i % 5000 < 300 ? null : Math.round(rnd() * 3000)));
  return { t, a, b };
}

const columnOf = (t: number[], min: number, max: number, cols: number) => (i: number) => Math.min(cols - 1, Math.max(0, Math.floor(((t[i]! - min) * cols) / (max - min))));

describe('chartIndices', () => {
  it('keeps every record when there are no more than four per pixel column', () => {
    const t = [0, 1, 2, 3, 4, 5, 6, 7];
    expect([...chartIndices(t, [t], 0, 7, 2)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...chartIndices([], [[]], 0, 1, 100)]).toEqual([]);
  });

  it('keeps, per pixel column and series, the first, last, lowest and highest of each run, and every break', () => {
    const { t, a, b } = day();
    const cols = 1000;
    const min = t[0]!;
    const max = t.at(-1)!;
    const idx = chartIndices(t, [a, b], min, max, cols);
    const kept = new Set(idx);
    // ascending, inside the track, and far fewer than the records
    for (let k = 1; k < idx.length; k++) expect(idx[k]!).toBeGreaterThan(idx[k - 1]!);
    expect(idx.length).toBeLessThanOrEqual(8 * cols + 5 * 18 + 2);
    expect(idx.length).toBeLessThan(t.length / 8);
    const col = columnOf(t, min, max, cols);
    for (const s of [a, b]) {
      // runs of values within one column
      let run: number[] = [];
      const check = () => {
        if (!run.length) return;
        const vals = run.map((i) => s[i]!);
        const lo = Math.min(...vals);
        const hi = Math.max(...vals);
        expect(kept.has(run[0]!)).toBe(true);
        expect(kept.has(run.at(-1)!)).toBe(true);
        expect(run.some((i) => kept.has(i) && s[i] === lo)).toBe(true);
        expect(run.some((i) => kept.has(i) && s[i] === hi)).toBe(true);
        run = [];
      };
      for (let i = 0; i < t.length; i++) {
        if (run.length && col(i) !== col(run[0]!)) check();
        if (s[i] === null) {
          check();
          // a null after a value is kept: the line breaks there
          if (i > 0 && s[i - 1] !== null) expect(kept.has(i), `break at ${i}`).toBe(true);
        } else run.push(i);
      }
      check();
    }
  });

  it('gives a zoomed range its records and the one on either side, at full detail when few', () => {
    const { t, a } = day(10_000);
    const min = t[4000]! + 0.5;
    const max = t[4100]!;
    const idx = [...chartIndices(t, [a], min, max, 1000)];
    // 100 records in the range and one on each side: fewer than four per column, so all of them
    expect(idx).toEqual(Array.from({ length: 102 }, (_, k) => 4000 + k));
    const wide = [...chartIndices(t, [a], t[1000]!, t[9000]!, 100)];
    expect(wide[0]).toBe(999);
    expect(wide.at(-1)).toBe(9001);
  });
});
