// The records a line chart needs to look exactly as it does with all of them (M4, Jugel et
// al., "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014): a line
// drawn through one pixel column's points only ever shows their first, last, lowest and
// highest, so those four per series and column are kept, and the rest are not drawn at
// all. A day at 1 Hz (86,400 records) on a chart 1,000 pixels wide becomes a few thousand
// points per chart, drawn alike.

/** The first index with t[i] >= x, or with `after` t[i] > x (t ascending); t.length if none. */
export function bound(t: ArrayLike<number>, x: number, after: boolean): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < x || (after && t[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The indices (ascending) of the records a chart `columns` pixels wide that shows
 * [min, max] of `t` (seconds, ascending) has to draw for `series` (one value per record,
 * null for none): for every pixel column and series, the first, last, lowest and
 * highest record of each run of values, and each null that follows a value (the break
 * in the line); plus the record on either side of the range, so lines run to its edges.
 * All of them when they are no more than four per column.
 */
export function chartIndices(t: ArrayLike<number>, series: readonly ArrayLike<number | null>[], min: number, max: number, columns: number): Int32Array {
  const from = Math.max(0, bound(t, min, false) - 1);
  const to = Math.min(t.length, bound(t, max, true) + 1);
  const n = to - from;
  const cols = Math.max(1, Math.floor(columns));
  if (n <= 4 * cols || !(max > min)) return Int32Array.from({ length: Math.max(0, n) }, (_, k) => from + k);
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const scale = cols / (max - min);
  // each record's pixel column, once for every series
  const column = new Int32Array(n);
  for (let k = 0; k < n; k++) column[k] = Math.min(cols - 1, Math.max(0, Math.floor((t[from + k]! - min) * scale)));
  for (const s of series) {
    let col = -1;
    let first = -1;
    let lo = -1;
    let hi = -1;
    let last = -1;
    const flush = (): void => {
      if (first < 0) return;
      keep[first - from] = 1;
      keep[lo - from] = 1;
      keep[hi - from] = 1;
      keep[last - from] = 1;
      first = -1;
    };
    for (let i = from; i < to; i++) {
      const v = s[i];
      const c = column[i - from]!;
      if (c !== col) {
        flush();
        col = c;
      }
      if (v === null || v === undefined) {
        if (first >= 0 || (i > from && s[i - 1] !== null && s[i - 1] !== undefined)) keep[i - from] = 1;
        flush();
        continue;
      }
      if (first < 0) {
        first = lo = hi = i;
      } else {
        if (v < s[lo]!) lo = i;
        if (v > s[hi]!) hi = i;
      }
      last = i;
    }
    flush();
  }
  let k = 0;
  for (let i = 0; i < n; i++) k += keep[i]!;
  const out = new Int32Array(k);
  k = 0;
  for (let i = 0; i < n; i++) if (keep[i]) out[k++] = from + i;
  return out;
}
