import { BLOCK_BYTES, SEGMENT_HEADER_BYTES } from './constants.js';
import { decodeBlock, type BlockCorruption, type FrameView } from './frame.js';

/** What the spool knows about one segment file, kept in memory (no payloads). */
export interface SegmentInfo {
  path: string;
  /** seq in the file name: a lower bound of the seqs inside */
  nameSeq: number;
  thinK: number;
  /** bytes of the file that hold frames (the write offset for the active segment) */
  size: number;
  /** per block: seq of the first frame accepted in it (0: none) and number of records */
  blockFirst: number[];
  blockCount: number[];
  /** blocks found corrupt (reported once) */
  badBlocks: Set<number>;
  records: number;
  gaps: number;
  minSeq: number;
  maxSeq: number;
  minTimeMs: number;
  maxTimeMs: number;
  /** records with seq <= afterSeq in this file repeat an earlier file's (after a storage fault); skip them */
  afterSeq: number;
}

export function emptySegment(path: string, nameSeq: number, thinK: number, afterSeq: number): SegmentInfo {
  return {
    path, nameSeq, thinK, size: SEGMENT_HEADER_BYTES, blockFirst: [], blockCount: [], badBlocks: new Set(),
    records: 0, gaps: 0, minSeq: 0, maxSeq: 0, minTimeMs: 0, maxTimeMs: 0, afterSeq,
  };
}

/** Adds one accepted frame to the index. */
export function indexFrame(seg: SegmentInfo, f: { seq: number; timeMs: number; kind: string; frameStart: number; frameEnd: number }): void {
  const b = Math.floor(f.frameStart / BLOCK_BYTES);
  while (seg.blockFirst.length <= b) {
    seg.blockFirst.push(0);
    seg.blockCount.push(0);
  }
  if (seg.blockFirst[b] === 0) seg.blockFirst[b] = f.seq;
  seg.blockCount[b]!++;
  if (seg.records === 0) {
    seg.minSeq = f.seq;
    seg.minTimeMs = f.timeMs;
    seg.maxTimeMs = f.timeMs;
  }
  seg.records++;
  if (f.kind === 'gap') seg.gaps++;
  seg.maxSeq = f.seq;
  seg.minTimeMs = Math.min(seg.minTimeMs, f.timeMs);
  seg.maxTimeMs = Math.max(seg.maxTimeMs, f.timeMs);
}

/**
 * Records with seq > acked in the segments, from the block index (a block the ack cuts counts
 * at most the seqs after the ack): O(segments + blocks of the one segment the ack cuts).
 */
export function unackedRecords(segments: readonly SegmentInfo[], acked: number): number {
  let n = 0;
  for (const seg of segments) {
    if (seg.maxSeq <= acked) continue;
    if (seg.minSeq > acked) {
      n += seg.records;
      continue;
    }
    for (let b = 0; b < seg.blockFirst.length; b++) {
      const first = seg.blockFirst[b]!;
      const next = seg.blockFirst[b + 1] || seg.maxSeq + 1;
      if (first === 0 || next - 1 <= acked) continue;
      n += first > acked ? seg.blockCount[b]! : Math.min(seg.blockCount[b]!, next - 1 - acked);
    }
  }
  return n;
}

export function blockRange(b: number, dataEnd: number): [number, number] {
  return [b === 0 ? SEGMENT_HEADER_BYTES : b * BLOCK_BYTES, Math.min((b + 1) * BLOCK_BYTES, dataEnd)];
}

/** The block to start reading at for seq: the last indexed block whose first seq is <= seq. */
export function startBlock(seg: SegmentInfo, seq: number): number {
  let ans = 0;
  for (let b = 0; b < seg.blockFirst.length; b++) {
    const first = seg.blockFirst[b]!;
    if (first === 0) continue;
    if (first > seq) break;
    ans = b;
  }
  return ans;
}

export type BlockCorruptionAt = BlockCorruption & { block: number };

/**
 * Decodes the frames of blocks [fromBlock, ...) held in buf, which starts at file offset
 * `base` (a block boundary) and ends at or before dataEnd. onFrame gets views relative to buf
 * and may return false to stop. Corruption offsets are file offsets.
 */
export function decodeBlocks(
  buf: Uint8Array,
  base: number,
  fromBlock: number,
  dataEnd: number,
  onFrame: (f: FrameView, block: number) => boolean | void,
): BlockCorruptionAt[] {
  const corruptions: BlockCorruptionAt[] = [];
  for (let b = fromBlock; ; b++) {
    const [s, e] = blockRange(b, dataEnd);
    if (s >= e || e - base > buf.length) return corruptions;
    let stop = false;
    const c = decodeBlock(buf, s - base, e - base, (f) => {
      if (!stop && onFrame(f, b) === false) stop = true;
    });
    if (c && !stop) corruptions.push({ ...c, offset: c.offset + base, end: c.end + base, block: b });
    if (stop) return corruptions;
  }
}
