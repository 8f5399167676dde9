import { SEGMENT_HEADER_BYTES } from './constants.js';
import { ByteSink, FrameEncoder, type Kind } from './frame.js';
import { decodeGap, type SpoolGap } from './gap.js';
import { encodeSegmentHeader } from './segment.js';
import { blockRange, emptySegment, indexFrame, type SegmentInfo } from './segment-info.js';
import { decodeBlock } from './frame.js';

/** A record as it is held in memory (pending writes, rewrites). */
export interface Rec {
  seq: number;
  timeMs: number;
  kind: Kind;
  payload: Uint8Array;
}

/** The records of a segment the index accepts (valid CRC, not a fault-rewrite copy), in order. */
export function segmentRecords(buf: Uint8Array, seg: SegmentInfo): Rec[] {
  const out: Rec[] = [];
  const end = Math.min(buf.length, seg.size);
  for (let b = 0; ; b++) {
    const [s, e] = blockRange(b, end);
    if (s >= e) break;
    decodeBlock(buf, s, e, (f) => {
      if (f.seq <= seg.afterSeq || f.seq > seg.maxSeq) return;
      out.push({ seq: f.seq, timeMs: f.timeMs, kind: f.kind, payload: buf.slice(f.payloadStart, f.payloadEnd) });
    });
  }
  return out;
}

/** Encodes a whole segment file (header and records) and its index. */
export function buildSegment(path: string, nameSeq: number, spoolId: string, thinK: number, afterSeq: number, recs: Rec[]): { bytes: Uint8Array; info: SegmentInfo } {
  const sink = new ByteSink(SEGMENT_HEADER_BYTES + recs.reduce((n, r) => n + r.payload.length + 8, 0) + 4096);
  sink.ensure(SEGMENT_HEADER_BYTES);
  sink.buf.set(encodeSegmentHeader({ spoolId, thinK }), 0);
  sink.len = SEGMENT_HEADER_BYTES;
  const info = emptySegment(path, nameSeq, thinK, afterSeq);
  const enc = new FrameEncoder(SEGMENT_HEADER_BYTES, null);
  for (const r of recs) {
    enc.encode(r.kind, r.seq, r.timeMs, r.payload, sink);
    indexFrame(info, { seq: r.seq, timeMs: r.timeMs, kind: r.kind, frameStart: enc.lastFrameStart, frameEnd: enc.lastFrameEnd });
  }
  info.size = sink.len;
  return { bytes: sink.bytes().slice(), info };
}

/** Folds a record being removed into a loss: data counts 1, a gap marker carries its own range. */
export function lossOf(r: Rec): SpoolGap {
  if (r.kind === 'gap') {
    const g = decodeGap(r.payload);
    if (g) return g;
  }
  return { fromSeq: r.seq, toSeq: r.seq, fromTimeMs: r.timeMs, toTimeMs: r.timeMs, lost: r.kind === 'data' ? 1 : 0, reason: 'dropped' };
}
