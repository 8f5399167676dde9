import { silentLogger, type Logger } from '../base/log.js';
import { emptyTotals, type LossTotals } from './cursor.js';
import { realFs, type SpoolFs } from './fs.js';
import type { SpoolEntry } from './reader.js';
import { bitRotRegion, collector, SegmentReads } from './reads.js';
import { positions, recover } from './recovery.js';
import type { SegmentInfo } from './segment-info.js';
import { spoolStats, type SpoolStats } from './stats.js';

export interface ReadOnlySpoolOptions {
  dir: string;
  log?: Logger;
  fs?: SpoolFs;
}

/**
 * A spool opened for reading only (technicians' dump and stats, also next to a running agent):
 * no lock, no writer, no repairs, nothing written; what recovery would cut or report is only
 * logged. It reads the files as they were at open.
 */
export class ReadOnlySpool {
  private readonly reads: SegmentReads;
  private readonly log: Logger;
  private readonly fs: SpoolFs;
  private readonly noWrites = { bytesWritten: 0, payloadBytes: 0, fsyncs: 0, commits: 0 };
  private fault: string | null = null;
  private segments: readonly SegmentInfo[] = [];
  private totals: LossTotals = emptyTotals();
  private pos = { acked: 0, committed: 0, next: 1 };
  private id = '';

  private constructor(readonly dir: string, o: ReadOnlySpoolOptions) {
    this.fs = o.fs ?? realFs;
    this.log = o.log ?? silentLogger();
    this.reads = new SegmentReads(this.fs);
  }

  /** Throws when the directory cannot be listed or holds segments of two spools. */
  static open(o: ReadOnlySpoolOptions): ReadOnlySpool {
    const v = new ReadOnlySpool(o.dir, o);
    const r = recover(v.fs, o.dir);
    v.id = r.cursor?.spoolId ?? r.headerSpoolId ?? '';
    if (r.cursor) v.totals = r.cursor.totals;
    v.segments = r.segments;
    v.pos = positions(r);
    if (r.tornBytes > 0) v.log.info(`spool: ${r.tornBytes} bytes after the last complete frame (being written, or a torn tail the agent will cut)`);
    for (const c of r.corrupt) v.log.warn(`spool: ${c.seg.path}: ${c.reason} at offset ${c.offset}; ${c.bytes} bytes skipped (not delivered)`);
    return v;
  }

  get spoolId(): string {
    return this.id;
  }
  get ackedSeq(): number {
    return this.pos.acked;
  }
  get committedSeq(): number {
    return this.pos.committed;
  }
  get nextSeq(): number {
    return this.pos.next;
  }

  /** Up to maxCount entries (and about maxBytes of payload) with seq >= fromSeq, in seq order, as Spool.read. */
  read(fromSeq: number, maxCount: number, maxBytes = Infinity): SpoolEntry[] {
    const { out, take } = collector(maxCount, maxBytes);
    if (maxCount <= 0) return out;
    this.reads.walk(
      this.segments,
      Math.max(fromSeq, this.pos.acked + 1),
      take,
      (seg, c) => {
        const g = bitRotRegion(seg, c);
        this.log.warn(`spool: ${seg.path}: ${c.reason} at offset ${c.offset}; ${c.bytes} bytes skipped (not delivered, seq ${g.prevSeq + 1}..${g.nextSeq - 1})`);
      },
      (seg, err) => {
        const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
        this.fault = `${code} (read ${seg.path})`;
        this.log.error(`spool: cannot read ${seg.path} (${code}); delivered what came before it`);
      },
    );
    return out;
  }

  stats(): SpoolStats {
    const { acked, committed, next } = this.pos;
    return spoolStats({
      spoolId: this.id, dir: this.dir, read: (from, max) => this.read(from, max), acked, committed, next, segments: this.segments,
      totals: this.totals, unreadable: 0, pending: 0, stat: this.noWrites, fault: this.fault,
    });
  }

  close(): void {
    this.reads.closeAll();
  }
}
