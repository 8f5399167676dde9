/**
 * A gap: records that will never come. `lost` records with seqs in [fromSeq, toSeq] and GNSS
 * times in [fromTimeMs, toTimeMs] are gone, for `reason`. The spool writes one as a gap marker
 * (src/spool/gap.ts, its on-card form), the session protocol carries it in a GAP frame
 * (src/protocol/wire.ts), the server keeps it as a row of the gaps table (column reason), and
 * a codec stream holds it as a gap message (messages.ts). docs/PROTOCOL.md section 7 (and GAP
 * in Part 2).
 */
export interface Gap {
  fromSeq: number;
  toSeq: number;
  fromTimeMs: number;
  toTimeMs: number;
  /** Records lost; for a damaged stretch of the card an upper bound. */
  lost: number;
  /**
   * Why they are gone: one of GAP_REASONS from this program's spool. Absent when the sender
   * did not say (devices from before the reason was sent). A reader keeps any other word that
   * matches GAP_REASON_RE as it came, so a newer writer's reason is not lost.
   */
  reason?: string;
}

/** The spool's reasons: thinned to make room, dropped when full, a corrupt stretch skipped, the memory ring overrun. */
export const GAP_REASONS = ['thinned', 'dropped', 'corrupt', 'ring'] as const;
export type GapReason = (typeof GAP_REASONS)[number];

/** What any reason must be on the wire and in a codec stream: a lower-case word of 1 to 16 letters. */
export const GAP_REASON_RE = /^[a-z]{1,16}$/;

/** The first rule `g` breaks (seqs in order, reason a word), naming the field, or null. */
export function gapFault(g: Gap): { field: 'fromSeq' | 'reason'; why: string } | null {
  if (!(g.fromSeq <= g.toSeq)) return { field: 'fromSeq', why: `fromSeq ${g.fromSeq} is after toSeq ${g.toSeq}` };
  if (g.reason !== undefined && !GAP_REASON_RE.test(g.reason)) return { field: 'reason', why: `reason must be a lower-case word of 1 to 16 letters, got ${JSON.stringify(g.reason.slice(0, 32))}` };
  return null;
}
