import { BLOCK_BYTES } from './constants.js';
import { decodeBlock, type Kind } from './frame.js';
import type { SpoolFs } from './fs.js';
import { decodeGap, type SpoolGap } from './gap.js';
import { blockRange, startBlock, type SegmentInfo } from './segment-info.js';

export interface SpoolEntry {
  seq: number;
  timeMs: number;
  kind: Kind;
  payload: Uint8Array;
  gap?: SpoolGap;
}

export function entryOf(seq: number, timeMs: number, kind: Kind, payload: Uint8Array): SpoolEntry {
  const e: SpoolEntry = { seq, timeMs, kind, payload };
  if (kind === 'gap') {
    const g = decodeGap(payload);
    if (g) e.gap = g;
  }
  return e;
}

/** A block that failed its CRC on read and was not known bad before (bit rot since open). */
export interface ReadCorruption {
  block: number;
  offset: number;
  bytes: number;
  reason: string;
}

const CHUNK = 16 * BLOCK_BYTES;

/**
 * Reads the entries of one segment with seq >= fromSeq, in order, into `take` (which returns
 * false when it wants no more); returns false when `take` stopped. Reads 64 KiB at a time from
 * the block that may hold fromSeq (block index), never past the segment's durable size.
 * Frames that fail their CRC are never delivered; a newly bad block goes to onCorrupt once.
 */
export function readSegment(
  fs: SpoolFs,
  fd: number,
  seg: SegmentInfo,
  fromSeq: number,
  take: (e: SpoolEntry) => boolean,
  onCorrupt: (c: ReadCorruption) => void,
): boolean {
  const first = startBlock(seg, Math.max(fromSeq, seg.minSeq));
  const buf = new Uint8Array(CHUNK);
  for (let b = first; b * BLOCK_BYTES < seg.size; b += CHUNK / BLOCK_BYTES) {
    const base = b * BLOCK_BYTES;
    const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, seg.size - base), base);
    const end = base + n;
    for (let k = b; k * BLOCK_BYTES < end; k++) {
      const [s, e] = blockRange(k, end);
      let more = true;
      const bad = decodeBlock(buf, s - base, e - base, (f) => {
        if (!more || f.seq < fromSeq || f.seq <= seg.afterSeq || f.seq > seg.maxSeq) return;
        more = take(entryOf(f.seq, f.timeMs, f.kind, buf.slice(f.payloadStart, f.payloadEnd)));
      });
      // (a short read is not corruption: only whole blocks are judged)
      if (bad && !seg.badBlocks.has(k) && e === Math.min((k + 1) * BLOCK_BYTES, seg.size)) {
        seg.badBlocks.add(k);
        onCorrupt({ block: k, offset: bad.offset + base, bytes: bad.end - bad.offset, reason: bad.reason });
      }
      if (!more) return false;
    }
  }
  return true;
}
