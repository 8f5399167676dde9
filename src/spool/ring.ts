import type { Rec } from './rewrite.js';

/** Bytes a record takes in memory beyond its payload (seq, time, kind, array slot). */
const REC_OVERHEAD = 16;

/**
 * The memory ring: records appended and not yet handed to a commit (or handed back after a
 * failed one), bounded by maxBytes; beyond it the oldest give way to onOverflow (which counts
 * and reports them). The newest record always stays.
 */
export class MemoryRing {
  private recs: Rec[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onOverflow: (r: Rec) => void,
  ) {}

  get length(): number {
    return this.recs.length;
  }
  /** bytes held (payloads and overhead): the group commit starts once this reaches commitBytes */
  get bytes(): number {
    return this.size;
  }
  get records(): readonly Rec[] {
    return this.recs;
  }

  push(r: Rec): void {
    this.recs.push(r);
    this.size += r.payload.length + REC_OVERHEAD;
    while (this.size > this.maxBytes && this.recs.length > 1) {
      const old = this.recs.shift()!;
      this.size -= old.payload.length + REC_OVERHEAD;
      this.onOverflow(old);
    }
  }

  /** Empties the ring, returning what it held in seq order. */
  take(): Rec[] {
    const all = this.recs;
    this.recs = [];
    this.size = 0;
    return all;
  }

  /** Puts back a batch whose commit failed, ahead of what was appended meanwhile. */
  requeue(batch: Rec[]): void {
    const waiting = this.take();
    for (const r of batch) this.push(r);
    for (const r of waiting) this.push(r);
  }

  /** Keeps only the records with seq > acked (acknowledged ones need no disk any more). */
  dropAcked(acked: number): void {
    for (const r of this.take()) if (r.seq > acked) this.push(r);
  }

  /** The highest seq held that is below `lease` (0: none). */
  topBelow(lease: number): number {
    let top = 0;
    for (const r of this.recs) if (r.seq < lease) top = r.seq;
    return top;
  }
}
