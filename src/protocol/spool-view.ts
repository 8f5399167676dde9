import type { Gap } from '../codec/gap.js';

/**
 * What the protocol core needs from the spool (src/spool's Spool satisfies it).
 * Reads are synchronous and bounded; the core never writes the spool, it tells
 * its caller what to ack.
 */
export interface SpoolEntryView {
  seq: number;
  timeMs: number;
  kind: 'data' | 'gap';
  payload: Uint8Array;
  gap?: Gap;
}

export interface SpoolView {
  /** Random id of this spool (hex). */
  readonly spoolId: string;
  /** Highest seq the server acknowledged (cumulative). */
  readonly ackedSeq: number;
  /** Highest seq appended. */
  readonly headSeq: number;
  /** Highest seq durable on the card; only these are sent. */
  readonly committedSeq: number;
  read(fromSeq: number, maxCount: number, maxBytes?: number): SpoolEntryView[];
}
