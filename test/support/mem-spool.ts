import type { SpoolEntryView, SpoolView } from '../../src/protocol/spool-view.js';

/** An in-memory spool for protocol-core tests: append, commit, ack, read (bounded). */
export class MemSpool implements SpoolView {
  readonly entries = new Map<number, SpoolEntryView>();
  headSeq = 0;
  committedSeq = 0;
  ackedSeq = 0;
  constructor(readonly spoolId = 'a1b2c3d4e5f60718') {}

  append(payload: Uint8Array, timeMs: number, commit = true): number {
    const seq = ++this.headSeq;
    this.entries.set(seq, { seq, timeMs, kind: 'data', payload });
    if (commit) this.committedSeq = seq;
    return seq;
  }
  appendGap(fromSeq: number, toSeq: number, lost: number, reason?: string): number {
    const seq = ++this.headSeq;
    this.entries.set(seq, { seq, timeMs: 0, kind: 'gap', payload: new Uint8Array(0), gap: { fromSeq, toSeq, fromTimeMs: 0, toTimeMs: 0, lost, ...(reason ? { reason } : {}) } });
    this.committedSeq = seq;
    return seq;
  }
  /** Skips seqs (lost to corruption): they are never readable. */
  skip(n: number): void {
    this.headSeq += n;
    this.committedSeq = this.headSeq;
  }
  commit(): void {
    this.committedSeq = this.headSeq;
  }
  ack(seq: number): void {
    if (seq < this.ackedSeq) throw new Error(`ack went back: ${seq} < ${this.ackedSeq}`);
    if (seq > this.headSeq) throw new Error(`ack ${seq} beyond head ${this.headSeq}`);
    this.ackedSeq = seq;
  }
  read(fromSeq: number, maxCount: number, maxBytes = Infinity): SpoolEntryView[] {
    const out: SpoolEntryView[] = [];
    let bytes = 0;
    for (let s = Math.max(fromSeq, 1); s <= this.headSeq && out.length < maxCount; s++) {
      const e = this.entries.get(s);
      if (!e) continue;
      if (out.length > 0 && bytes + e.payload.length > maxBytes) break;
      bytes += e.payload.length;
      out.push(e);
    }
    return out;
  }
}
