import { join } from 'node:path';
import { BLOCK_BYTES, CURSOR_FILE, SEGMENT_HEADER_BYTES, SEGMENT_RE, TMP_SUFFIX } from './constants.js';
import { parseCursor, type CursorState } from './cursor.js';
import type { DeltaState } from './frame.js';
import type { SpoolFs } from './fs.js';
import { decodeGap, type SpoolGap } from './gap.js';
import { decodeSegmentHeader } from './segment.js';
import { blockRange, emptySegment, indexFrame, type SegmentInfo } from './segment-info.js';
import { decodeBlock } from './frame.js';

/** A stretch of a segment that failed its CRC and was skipped (never delivered). */
export interface CorruptRegion {
  seg: SegmentInfo;
  block: number;
  offset: number;
  bytes: number;
  reason: string;
  /** last accepted seq/time before it and first after it (0 when none) */
  prevSeq: number;
  prevTimeMs: number;
  nextSeq: number;
  nextTimeMs: number;
  /** after the segment's last valid frame: a torn tail (a crash or failed write) unless seqs are missing */
  tail: boolean;
}

export interface Recovered {
  cursor: CursorState | null;
  /** why the cursor file was unusable, if it existed */
  cursorProblem: string | null;
  segments: SegmentInfo[];
  /** spoolId found in segment headers (used when the cursor file is missing) */
  headerSpoolId: string | null;
  corrupt: CorruptRegion[];
  /** bytes after the last valid frame of the last segment (a torn tail); the caller truncates them */
  tornBytes: number;
  /** delta state at the end of the last segment, for the writer to continue its block */
  tail: DeltaState | null;
  /** segment files that hold no record at all (the caller deletes them) */
  empty: string[];
  /** unreadable files (EIO on read), skipped whole */
  unreadable: { path: string; why: string }[];
  /** total of `lost` over the gap markers still stored */
  gapLost: number;
  notes: string[];
}

/**
 * Scans a spool directory: reads the cursor and every segment, verifies every frame's CRC,
 * and builds the in-memory index. Sans-policy: it reports what it found; spool.ts decides
 * what to cut, rewrite and report.
 */
export function recover(fs: SpoolFs, dir: string): Recovered {
  const out: Recovered = {
    cursor: null, cursorProblem: null, segments: [], headerSpoolId: null, corrupt: [], tornBytes: 0,
    tail: null, empty: [], unreadable: [], gapLost: 0, notes: [],
  };
  const names = fs.readdirSync(dir);
  if (names.includes(CURSOR_FILE)) {
    try {
      const c = parseCursor(Buffer.from(fs.readFileSync(join(dir, CURSOR_FILE))).toString('utf8'));
      if (typeof c === 'string') out.cursorProblem = c;
      else out.cursor = c;
    } catch (err) {
      out.cursorProblem = `unreadable (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
  }
  const segNames = names
    .map((n) => ({ n, m: SEGMENT_RE.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ path: join(dir, x.n), nameSeq: Number(x.m[1]) }))
    .sort((a, b) => a.nameSeq - b.nameSeq);
  for (const n of names) if (n.endsWith(TMP_SUFFIX)) out.notes.push(`leftover temp file ${n}`);

  let lastSeq = 0;
  let lastTime = 0;
  let open: CorruptRegion[] = [];
  segNames.forEach(({ path, nameSeq }, i) => {
    const isLast = i === segNames.length - 1;
    let buf: Uint8Array;
    try {
      buf = fs.readFileSync(path);
    } catch (err) {
      out.unreadable.push({ path, why: (err as NodeJS.ErrnoException).code ?? String(err) });
      return;
    }
    const header = decodeSegmentHeader(buf);
    let thinK = 1;
    if (typeof header === 'string') {
      if (buf.length > SEGMENT_HEADER_BYTES || !isLast) out.notes.push(`${path}: ${header}`);
    } else {
      thinK = header.thinK;
      if (out.headerSpoolId === null) out.headerSpoolId = header.spoolId;
      else if (header.spoolId !== out.headerSpoolId) throw new Error(`${path} belongs to another spool (id ${header.spoolId}, expected ${out.headerSpoolId}); move it away`);
    }
    const seg = emptySegment(path, nameSeq, thinK, lastSeq);
    let validEnd = SEGMENT_HEADER_BYTES;
    let tail: DeltaState | null = null;
    const regions: CorruptRegion[] = [];
    for (let b = 0; ; b++) {
      const [s, e] = blockRange(b, buf.length);
      if (s >= e) break;
      const c = decodeBlock(buf, s, e, (f) => {
        if (f.seq <= lastSeq) return; // a copy rewritten after a storage fault
        indexFrame(seg, f);
        if (f.kind === 'gap') out.gapLost += decodeGap(buf.subarray(f.payloadStart, f.payloadEnd))?.lost ?? 0;
        for (const r of open) {
          r.nextSeq = f.seq;
          r.nextTimeMs = f.timeMs;
        }
        open = [];
        lastSeq = f.seq;
        lastTime = f.timeMs;
        validEnd = f.frameEnd;
        tail = { seq: f.seq, timeMs: f.timeMs, dt: f.dt };
      });
      if (c) {
        const r: CorruptRegion = { seg, block: b, offset: c.offset, bytes: c.end - c.offset, reason: c.reason, prevSeq: lastSeq, prevTimeMs: lastTime, nextSeq: 0, nextTimeMs: 0, tail: false };
        regions.push(r);
        open.push(r);
      }
    }
    for (const r of regions) {
      if (isLast && r.offset >= validEnd) continue; // the torn tail, cut by the caller
      r.tail = r.offset >= validEnd;
      seg.badBlocks.add(r.block);
      out.corrupt.push(r);
    }
    seg.size = isLast ? validEnd : buf.length;
    if (isLast) {
      out.tornBytes = buf.length - validEnd;
      out.tail = validEnd % BLOCK_BYTES === 0 ? null : tail;
    }
    if (seg.records === 0) out.empty.push(path);
    else out.segments.push(seg);
  });
  return out;
}


/** The seqs recovery leaves: the ack from the cursor; the next seq past everything on disk, the ack and the lease. */
export function positions(r: Recovered): { acked: number; committed: number; next: number; lease: number } {
  const maxSeq = r.segments.length ? r.segments[r.segments.length - 1]!.maxSeq : 0;
  const acked = r.cursor?.acked ?? 0;
  return { acked, committed: Math.max(maxSeq, acked), next: Math.max(maxSeq + 1, acked + 1, r.cursor?.lease ?? 0, 1), lease: r.cursor?.lease ?? 0 };
}

export type { SpoolGap };
