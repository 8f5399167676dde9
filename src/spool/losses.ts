import type { EventEmitter } from 'node:events';
import type { Logger } from '../base/log.js';
import { emptyTotals, type LossTotals } from './cursor.js';
import { GAP_REASONS } from '../codec/gap.js';
import { LossAccumulator, type SpoolGap, type GapReason } from './gap.js';
import type { CorruptRegion } from './recovery.js';
import { lossOf, type Rec } from './rewrite.js';

export interface LossEvent {
  reason: GapReason;
  gap: SpoolGap;
}

/**
 * Loss accounting: the life totals (persisted with the cursor), one accumulator per reason
 * until its gap marker is written, a 'loss'(LossEvent) on the spool's emitter for each loss,
 * and the log lines for corrupt stretches and torn tails.
 */
export class Losses {
  totals: LossTotals = emptyTotals();
  private readonly acc = new Map<GapReason, LossAccumulator>(
    GAP_REASONS.map((r) => [r, new LossAccumulator(r)]),
  );

  constructor(
    private readonly events: EventEmitter,
    private readonly log: Logger,
  ) {}

  note(reason: GapReason, g: SpoolGap): void {
    this.acc.get(reason)!.merge(g);
    this.events.emit('loss', { reason, gap: g } satisfies LossEvent);
  }

  /** A record removed by capacity, or pushed out of the memory ring: a data record counts as dropped or thinned. */
  lose(r: Rec, reason: 'thinned' | 'dropped' | 'ring'): void {
    const g = { ...lossOf(r), reason };
    if (r.kind === 'data') this.totals[reason === 'ring' ? 'dropped' : reason]++;
    this.note(reason, g);
  }

  /**
   * Hands each reason's collected loss to `write` (as a gap marker), in a fixed reason order;
   * a loss `write` itself causes (the ring overflowing) is handed over in the same call when
   * its reason comes later.
   */
  takeGaps(write: (g: SpoolGap) => void): void {
    for (const a of this.acc.values()) {
      const g = a.take();
      if (g) write(g);
    }
  }

  /** A stretch that failed its CRC: the records it may have held are counted lost and get a gap marker. */
  corrupt(c: CorruptRegion): void {
    const missing = c.nextSeq > 0 ? c.nextSeq - c.prevSeq - 1 : 0;
    // At most one record per 6 bytes fits in the bad stretch; seq holes may also be thinning or lease skips.
    const lost = Math.min(missing, Math.floor(c.bytes / 6));
    if (lost === 0 && c.tail) {
      // The end of a segment a crash or a failed write left behind; the next segment goes on without a hole.
      this.totals.tornBytes += c.bytes;
      this.log.warn(`spool: ${c.seg.path}: cut a torn tail of ${c.bytes} bytes (nothing missing)`);
      return;
    }
    this.totals.corruptBytes += c.bytes;
    this.log.error(`spool: ${c.seg.path}: ${c.reason} at offset ${c.offset}; skipped ${c.bytes} bytes${lost > 0 ? `, up to ${lost} records (seq ${c.prevSeq + 1}..${c.nextSeq - 1})` : ''}`);
    if (lost > 0) {
      this.note('corrupt', { fromSeq: c.prevSeq + 1, toSeq: c.nextSeq - 1, fromTimeMs: c.prevTimeMs, toTimeMs: c.nextTimeMs || c.prevTimeMs, lost, reason: 'corrupt' });
      this.totals.dropped += lost;
    }
  }
}
