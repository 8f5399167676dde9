/**
 * A set of sequence numbers kept as sorted, disjoint, non-adjacent closed ranges
 * [from, to]. Used for ACK frames, WELCOME's stored list and the device's view of
 * what the server holds above its cumulative ack.
 */
export type SeqRange = [from: number, to: number];

export class SeqRanges {
  private r: SeqRange[] = [];

  /** Index of the first range whose end is at or above `seq` (binary search). */
  private firstEndingAtOrAbove(seq: number): number {
    let lo = 0;
    let hi = this.r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.r[mid]![1] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds [from, to]; returns how many seqs were not in the set before. O(log n) plus the ranges it merges. */
  add(from: number, to: number): number {
    if (to < from) return 0;
    let added = to - from + 1;
    const i = this.firstEndingAtOrAbove(from - 1);
    let j = i;
    let lo = from;
    let hi = to;
    while (j < this.r.length && this.r[j]![0] <= to + 1) {
      const [a, b] = this.r[j++]!;
      added -= Math.max(0, Math.min(b, to) - Math.max(a, from) + 1);
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
    this.r.splice(i, j - i, [lo, hi]);
    return added;
  }

  has(seq: number): boolean {
    const r = this.r[this.firstEndingAtOrAbove(seq)];
    return r !== undefined && r[0] <= seq;
  }

  /** The last seq of the run that contains `seq`, or seq - 1 if `seq` is not in the set. */
  runEnd(seq: number): number {
    const r = this.r[this.firstEndingAtOrAbove(seq)];
    return r !== undefined && r[0] <= seq ? r[1] : seq - 1;
  }

  /** Forgets everything at or below `seq`. */
  dropThrough(seq: number): void {
    const out: SeqRange[] = [];
    for (const [a, b] of this.r) {
      if (b <= seq) continue;
      out.push([Math.max(a, seq + 1), b]);
    }
    this.r = out;
  }

  /** Counts seqs of the set inside [from, to]. */
  countIn(from: number, to: number): number {
    let n = 0;
    for (let i = this.firstEndingAtOrAbove(from); i < this.r.length && this.r[i]![0] <= to; i++) {
      const [a, b] = this.r[i]!;
      n += Math.max(0, Math.min(b, to) - Math.max(a, from) + 1);
    }
    return n;
  }

  get size(): number {
    return this.r.length;
  }

  ranges(): SeqRange[] {
    return this.r.map(([a, b]) => [a, b]);
  }

  clear(): void {
    this.r = [];
  }
}

/** Folds seqs (any order, repeats allowed) into ascending ranges. */
export function rangesOf(seqs: Iterable<number>): SeqRange[] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const out: SeqRange[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], s);
    else out.push([s, s]);
  }
  return out;
}
