import { join } from 'node:path';
import { BLOCK_BYTES, SEGMENT_HEADER_BYTES, segmentName } from './constants.js';
import { ByteSink, FrameEncoder, type DeltaState, type Kind } from './frame.js';
import { writeAll, type SpoolFs } from './fs.js';
import type { Rec } from './rewrite.js';
import { encodeSegmentHeader } from './segment.js';
import { emptySegment, type SegmentInfo } from './segment-info.js';

/** What one batch wrote (page cache only) and must make durable before it counts. */
export interface WriteResult {
  /** files to fdatasync */
  fds: number[];
  /** a segment was created: its directory entry needs an fsync of the directory */
  syncDir: boolean;
  /** index entries to apply once durable */
  index: { seg: SegmentInfo; seq: number; timeMs: number; kind: Kind; frameStart: number; frameEnd: number }[];
  /** durable sizes of the segments written, once durable */
  sizes: Map<SegmentInfo, number>;
  bytes: number;
}

/**
 * Appends batches of records to the active segment and rolls to a new one when it is full
 * (the caller decides when to fsync, as LevelDB's log writer leaves it to the DB).
 */
export class SegmentWriter {
  private active: { seg: SegmentInfo; fd: number; enc: FrameEncoder } | null = null;
  private closeAfterCommit: number[] = [];

  constructor(
    private readonly fs: SpoolFs,
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  get segment(): SegmentInfo | null {
    return this.active?.seg ?? null;
  }

  /** Continues writing at the end of seg (recovery), after cutting `torn` bytes of torn tail. */
  resume(seg: SegmentInfo, torn: number, tail: DeltaState | null): void {
    if (seg.size >= this.segmentBytes) return;
    const fd = this.fs.openSync(seg.path, 'r+');
    try {
      if (torn > 0) {
        this.fs.ftruncateSync(fd, seg.size);
        this.fs.fsyncSync(fd);
      }
    } catch (err) {
      this.fs.closeSync(fd);
      throw err;
    }
    this.active = { seg, fd, enc: new FrameEncoder(seg.size, tail) };
  }

  /**
   * Writes the frames of `batch`. A new segment is named after its first seq; records in it
   * repeat nothing up to afterSeq (the durable point), which recovery uses to skip copies a
   * failed write may have left in an abandoned segment.
   */
  write(batch: Rec[], spoolId: string, afterSeq: number, onNewSegment: (seg: SegmentInfo) => void): WriteResult {
    const res: WriteResult = { fds: [], syncDir: false, index: [], sizes: new Map(), bytes: 0 };
    const sink = new ByteSink(batch.reduce((n, r) => n + r.payload.length + 8, 0) + 2 * BLOCK_BYTES);
    let writeAt = this.active?.enc.offset ?? 0;
    const flushSink = () => {
      const a = this.active;
      if (sink.len > 0 && a) {
        writeAll(this.fs, a.fd, sink.bytes(), writeAt);
        res.bytes += sink.len;
        if (!res.fds.includes(a.fd)) res.fds.push(a.fd);
        res.sizes.set(a.seg, a.enc.offset);
      }
      sink.reset();
    };
    for (const r of batch) {
      const a = this.active;
      if (!a || (a.enc.endIfAppended(r.payload.length) > this.segmentBytes && a.enc.offset > SEGMENT_HEADER_BYTES)) {
        flushSink();
        this.roll(r.seq, afterSeq, res, onNewSegment);
        writeAt = 0;
        sink.ensure(SEGMENT_HEADER_BYTES);
        sink.buf.set(encodeSegmentHeader({ spoolId, thinK: 1 }), 0);
        sink.len = SEGMENT_HEADER_BYTES;
      }
      const act = this.active!;
      act.enc.encode(r.kind, r.seq, r.timeMs, r.payload, sink);
      res.index.push({ seg: act.seg, seq: r.seq, timeMs: r.timeMs, kind: r.kind, frameStart: act.enc.lastFrameStart, frameEnd: act.enc.lastFrameEnd });
    }
    flushSink();
    return res;
  }

  private roll(firstSeq: number, afterSeq: number, res: WriteResult, onNewSegment: (seg: SegmentInfo) => void): void {
    if (this.active) {
      // written in this batch: close after the commit; otherwise it is durable already
      if (res.fds.includes(this.active.fd)) this.closeAfterCommit.push(this.active.fd);
      else this.closeQuietly(this.active.fd);
      this.active = null;
    }
    const path = join(this.dir, segmentName(firstSeq));
    const fd = this.fs.openSync(path, 'w');
    const seg = emptySegment(path, firstSeq, 1, afterSeq);
    this.active = { seg, fd, enc: new FrameEncoder(SEGMENT_HEADER_BYTES, null) };
    onNewSegment(seg);
    res.syncDir = true;
    res.fds.push(fd);
  }

  /** The batch is durable: close the segments it finished. */
  committed(): void {
    for (const fd of this.closeAfterCommit) this.closeQuietly(fd);
    this.closeAfterCommit = [];
  }

  /**
   * A write or fsync failed: stop using the active segment (its durable part stays readable;
   * after a failed fsync its pages may be gone) and return it; the next batch opens a new one.
   */
  abandon(): SegmentInfo | null {
    const seg = this.detach();
    this.committed();
    return seg;
  }

  /** Stops appending to the active segment; the next batch opens a new one. */
  detach(): SegmentInfo | null {
    const a = this.active;
    if (!a) return null;
    this.closeQuietly(a.fd);
    this.active = null;
    return a.seg;
  }

  private closeQuietly(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      /* nothing to do */
    }
  }
}
