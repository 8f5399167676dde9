import { GAP_REASONS, type Gap, type GapReason } from '../codec/gap.js';
import { readUvarint, unzigzag, uvarintSize, writeUvarint, zigzag, type VarintRead } from './varint.js';

export type { GapReason };

/**
 * A gap marker as the spool makes it: the one Gap type (src/codec/gap.ts), always with one of
 * the spool's own reasons. It is stored and delivered like a record (with its own, newer seq),
 * so loss is never silent. On the card it is six uvarints: reason index, fromSeq, toSeq -
 * fromSeq, zig-zag fromTimeMs, zig-zag (toTimeMs - fromTimeMs), lost.
 */
export type SpoolGap = Gap & { reason: GapReason };

export function encodeGap(g: SpoolGap): Uint8Array {
  const vals = [GAP_REASONS.indexOf(g.reason), g.fromSeq, g.toSeq - g.fromSeq, zigzag(g.fromTimeMs), zigzag(g.toTimeMs - g.fromTimeMs), g.lost];
  const b = new Uint8Array(vals.reduce((n, v) => n + uvarintSize(v), 0));
  let p = 0;
  for (const v of vals) p = writeUvarint(b, p, v);
  return b;
}

export function decodeGap(b: Uint8Array): SpoolGap | null {
  const v: VarintRead = { value: 0, next: 0 };
  const vals: number[] = [];
  let p = 0;
  for (let i = 0; i < 6; i++) {
    readUvarint(b, p, b.length, v);
    if (v.next < 0) return null;
    vals.push(v.value);
    p = v.next;
  }
  const reason = GAP_REASONS[vals[0]!];
  if (!reason || p !== b.length) return null;
  const fromTimeMs = unzigzag(vals[3]!);
  return { reason, fromSeq: vals[1]!, toSeq: vals[1]! + vals[2]!, fromTimeMs, toTimeMs: fromTimeMs + unzigzag(vals[4]!), lost: vals[5]! };
}

/** Collects losses of one reason until they are written as one gap marker. */
export class LossAccumulator {
  private g: SpoolGap | null = null;
  constructor(readonly reason: GapReason) {}

  /** One lost data record. */
  addRecord(seq: number, timeMs: number): void {
    this.merge({ fromSeq: seq, toSeq: seq, fromTimeMs: timeMs, toTimeMs: timeMs, lost: 1, reason: this.reason });
  }

  /** A range (a lost gap marker folds in here, so its loss is still reported). */
  merge(r: SpoolGap): void {
    if (this.g === null) {
      this.g = { ...r, reason: this.reason };
      return;
    }
    const g = this.g;
    g.fromSeq = Math.min(g.fromSeq, r.fromSeq);
    g.toSeq = Math.max(g.toSeq, r.toSeq);
    g.fromTimeMs = Math.min(g.fromTimeMs, r.fromTimeMs);
    g.toTimeMs = Math.max(g.toTimeMs, r.toTimeMs);
    g.lost += r.lost;
  }

  get pending(): boolean {
    return this.g !== null;
  }

  take(): SpoolGap | null {
    const g = this.g;
    this.g = null;
    return g;
  }
}
