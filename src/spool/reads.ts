import type { SpoolFs } from './fs.js';
import { readSegment, type ReadCorruption, type SpoolEntry } from './reader.js';
import type { CorruptRegion } from './recovery.js';
import type { SegmentInfo } from './segment-info.js';

/** Where a read stops: after maxCount entries or about maxBytes of payload (at least one entry). */
export function collector(maxCount: number, maxBytes: number): { out: SpoolEntry[]; take: (e: SpoolEntry) => boolean } {
  const out: SpoolEntry[] = [];
  let bytes = 0;
  const take = (e: SpoolEntry): boolean => {
    if (out.length > 0 && bytes + e.payload.length > maxBytes) return false;
    out.push(e);
    bytes += e.payload.length;
    return !(out.length >= maxCount || bytes >= maxBytes);
  };
  return { out, take };
}

/**
 * Reads of the durable segments, through one open file per segment kept between reads (the
 * link reads the spool many times a second).
 */
export class SegmentReads {
  private readonly fds = new Map<string, number>();

  constructor(private readonly fs: SpoolFs) {}

  /**
   * Feeds `take` the entries with seq >= fromSeq, segment by segment, in seq order; returns
   * false when it stopped early (take wanted no more, or a segment could not be read: then its
   * file is closed and onError told). A block found corrupt for the first time goes to onBitRot
   * and is skipped.
   */
  walk(
    segments: readonly SegmentInfo[],
    fromSeq: number,
    take: (e: SpoolEntry) => boolean,
    onBitRot: (seg: SegmentInfo, c: ReadCorruption) => void,
    onError: (seg: SegmentInfo, err: unknown) => void,
  ): boolean {
    for (const seg of segments) {
      if (seg.records === 0 || seg.maxSeq < fromSeq) continue;
      let more: boolean;
      try {
        more = readSegment(this.fs, this.fd(seg.path), seg, fromSeq, take, (c) => onBitRot(seg, c));
      } catch (err) {
        this.close(seg.path);
        onError(seg, err);
        return false;
      }
      if (!more) return false;
    }
    return true;
  }

  /** Closes the file of a segment about to be replaced or deleted (or that failed a read). */
  close(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      this.fs.closeSync(fd);
    } catch {
      /* nothing to do */
    }
  }

  closeAll(): void {
    for (const p of [...this.fds.keys()]) this.close(p);
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = this.fs.openSync(path, 'r');
      this.fds.set(path, fd);
    }
    return fd;
  }
}

/** A block found corrupt on read, as a corrupt region of its segment (for the loss report). */
export function bitRotRegion(seg: SegmentInfo, c: ReadCorruption): CorruptRegion {
  const next = seg.blockFirst.slice(c.block + 1).find((q) => q > 0) ?? seg.maxSeq + 1;
  return { seg, ...c, prevSeq: seg.blockFirst[c.block] || 0, prevTimeMs: seg.minTimeMs, nextSeq: next, nextTimeMs: seg.maxTimeMs, tail: false };
}
