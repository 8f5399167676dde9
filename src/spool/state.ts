import type { StorageHealth } from './fault.js';
import type { MemoryRing } from './ring.js';
import type { Rec } from './rewrite.js';
import { unackedRecords, type SegmentInfo } from './segment-info.js';

/** What one process did to the spool since it opened it (reported by stats()). */
export interface WriteCounters {
  bytesWritten: number;
  payloadBytes: number;
  fsyncs: number;
  commits: number;
}

/**
 * Where the spool's records are: the segment index, the memory ring and the batch being
 * committed, and the seqs that tie them together. The commit routine, maintenance and reads
 * all work on this one object.
 */
export class SpoolState {
  id = '';
  /** the next seq to hand out */
  next = 1;
  /** the highest seq durable on the card */
  committed = 0;
  /** the ack the cursor file holds */
  durableAcked = 0;
  /** the durable seq lease (see cursor.ts) */
  lease = 0;
  /** the batch being written, between the ring and the index */
  inflight: Rec[] = [];
  closed = false;
  readonly stat: WriteCounters = { bytesWritten: 0, payloadBytes: 0, fsyncs: 0, commits: 0 };
  private segs: SegmentInfo[] = [];
  private ackedSeq = 0;
  /** unacknowledged records in the segments; null: the index or the ack changed since it was counted */
  private onDisk: number | null = null;

  constructor(
    readonly ring: MemoryRing,
    readonly health: StorageHealth,
  ) {}

  get segments(): readonly SegmentInfo[] {
    return this.segs;
  }
  set segments(s: readonly SegmentInfo[]) {
    this.segs = [...s];
    this.onDisk = null;
  }
  /** Frames were added to segments in place. */
  indexChanged(): void {
    this.onDisk = null;
  }

  /** cumulative acknowledgement: every record with seq <= acked was stored by the server */
  get acked(): number {
    return this.ackedSeq;
  }
  set acked(a: number) {
    this.ackedSeq = a;
    this.onDisk = null;
  }

  /**
   * Records not yet acknowledged, on disk and in memory: O(1) per append (it is published to
   * the StatusBoard after every one); the on-disk part is counted from the index again only
   * after the index or the ack changed.
   */
  get backlog(): number {
    this.onDisk ??= unackedRecords(this.segs, this.ackedSeq);
    return this.onDisk + this.ring.length + this.inflight.length;
  }

  /** While storage fails: the newest memory-held seq the durable lease covers (the link may send up to it); else 0. */
  get readableRingTop(): number {
    return this.health.fault === null ? 0 : this.ring.topBelow(this.lease);
  }

  get diskBytes(): number {
    return this.segs.reduce((n, s) => n + s.size, 0);
  }
}
