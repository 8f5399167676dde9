/**
 * A set of sequence numbers kept as sorted, disjoint, non-adjacent closed ranges
 * [from, to]. Used for ACK frames, WELCOME's stored list and the device's view of
 * what the server holds above its cumulative ack.
 */
export type SeqRange = [from: number, to: number];

export class SeqRanges {
  private r: SeqRange[] = [];

  /** Adds [from, to]; returns how many seqs were not in the set before. */
  add(from: number, to: number): number {
    if (to < from) return 0;
    let added = to - from + 1;
    const out: SeqRange[] = [];
    let i = 0;
    while (i < this.r.length && this.r[i]![1] < from - 1) out.push(this.r[i++]!);
    let lo = from;
    let hi = to;
    while (i < this.r.length && this.r[i]![0] <= to + 1) {
      const [a, b] = this.r[i++]!;
      added -= Math.max(0, Math.min(b, to) - Math.max(a, from) + 1);
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
    out.push([lo, hi]);
    while (i < this.r.length) out.push(this.r[i++]!);
    this.r = out;
    return added;
  }

  has(seq: number): boolean {
    for (const [a, b] of this.r) {
      if (seq < a) return false;
      if (seq <= b) return true;
    }
    return false;
  }

  /** The last seq of the run that contains `seq`, or seq - 1 if `seq` is not in the set. */
  runEnd(seq: number): number {
    for (const [a, b] of this.r) {
      if (seq < a) break;
      if (seq <= b) return b;
    }
    return seq - 1;
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
    for (const [a, b] of this.r) n += Math.max(0, Math.min(b, to) - Math.max(a, from) + 1);
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
