import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import { applyPlan, type CapacityPlan } from './capacity.js';
import { SEQ_LEASE_STEP } from './constants.js';
import { writeCursor, type CursorState } from './cursor.js';
import { fsyncDir, type SpoolFs } from './fs.js';
import type { Losses } from './losses.js';
import type { ResolvedOptions } from './options.js';
import type { SegmentReads } from './reads.js';
import { buildSegment, segmentRecords } from './rewrite.js';
import type { SegmentInfo } from './segment-info.js';
import type { SpoolState } from './state.js';
import type { SegmentWriter } from './writer.js';

export interface MaintenanceDeps {
  o: ResolvedOptions;
  fs: SpoolFs;
  clock: Clock;
  log: Logger;
  status: StatusBoard | undefined;
  writer: SegmentWriter;
  reads: SegmentReads;
  losses: Losses;
  /** runs a commit (maintenance runs after each) */
  commit(): void;
}

/**
 * Everything after a commit: the ack and the cursor file (ack and seq lease, written at most
 * every cursorIntervalMs), deletion of acknowledged segments, repair of corrupt ones, and the
 * capacity plans (rewrites and deletions) with the directory fsync they need.
 */
export class Maintenance {
  private cursorTimer: NodeJS.Timeout | null = null;
  private cursorWriting: Promise<void> | null = null;
  private cursorDirty = false;
  private lastCursorWrite = -Infinity;
  private repairs: SegmentInfo[] = [];
  private dirDirty = false;

  constructor(
    private readonly st: SpoolState,
    private readonly d: MaintenanceDeps,
  ) {}

  /** After recovery: write the cursor (the new lease, the totals) at the first commit, then repair `corrupt`. */
  recovered(corrupt: SegmentInfo[]): void {
    this.repairs = [...new Set(corrupt)];
    this.lastCursorWrite = -Infinity;
    this.cursorDirty = true;
  }

  /** A segment found corrupt on read: rewritten at the next maintenance. */
  repairLater(seg: SegmentInfo): void {
    this.repairs.push(seg);
  }

  /** flush(): the cursor is written with this commit if the ack moved. */
  cursorNow(): void {
    this.cursorDirty = this.cursorDirty || this.st.acked !== this.st.durableAcked;
    this.lastCursorWrite = -Infinity;
  }

  /** Takes a cumulative ack (at most the highest readable seq); the cursor follows within cursorIntervalMs. */
  ack(a: number): void {
    const { st, d } = this;
    if (a <= st.acked) return;
    st.acked = a;
    if (st.health.fault !== null) st.ring.dropAcked(a);
    d.status?.setBacklog(st.backlog);
    this.cursorDirty = true;
    if (this.cursorTimer === null && !st.closed) {
      const wait = Math.max(0, this.lastCursorWrite + d.o.cursorIntervalMs - d.clock.now());
      this.cursorTimer = setTimeout(() => {
        this.cursorTimer = null;
        if (st.health.fault === null) d.commit();
      }, wait);
      this.cursorTimer.unref();
    }
  }

  private get leaseLow(): boolean {
    return this.st.next + this.st.ring.length >= this.st.lease - SEQ_LEASE_STEP / 2;
  }
  private get cursorDue(): boolean {
    return this.cursorDirty && this.d.clock.now() - this.lastCursorWrite >= this.d.o.cursorIntervalMs;
  }

  /** Whether a commit with nothing to write still has work to do. */
  needed(): boolean {
    return this.cursorDue || this.leaseLow || this.repairs.length > 0 || this.dirDirty;
  }

  /** After a commit: persist the cursor (ack and seq lease), delete acknowledged segments, repair corrupt ones. */
  async run(): Promise<void> {
    const leaseLow = this.leaseLow;
    if (leaseLow || this.cursorDue) await this.persistCursor(leaseLow ? this.st.next + SEQ_LEASE_STEP : this.st.lease);
    if (this.repairs.length) {
      const segs = this.repairs;
      this.repairs = [];
      for (const s of segs) this.repair(s);
    }
    if (this.dirDirty) await this.syncDir();
  }

  /** At close: the cursor with lease = next seq (so seqs stay dense), and the directory. */
  async closing(): Promise<void> {
    await this.persistCursor(this.st.next);
    this.st.lease = this.st.next;
    if (this.dirDirty) await fsyncDir(this.d.fs, this.d.o.dir);
  }

  stop(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
  }

  private async syncDir(): Promise<void> {
    this.dirDirty = false;
    await fsyncDir(this.d.fs, this.d.o.dir);
    this.st.stat.fsyncs++;
  }

  private async persistCursor(lease: number): Promise<void> {
    const { st, d } = this;
    while (this.cursorWriting) await this.cursorWriting;
    const c: CursorState = { spoolId: st.id, acked: st.acked, lease, totals: { ...d.losses.totals } };
    this.cursorDirty = false;
    this.lastCursorWrite = d.clock.now();
    this.cursorWriting = (async () => {
      try {
        st.stat.bytesWritten += await writeCursor(d.fs, d.o.dir, c);
        st.stat.fsyncs += 2;
      } catch (err) {
        this.cursorDirty = true;
        throw err;
      } finally {
        this.cursorWriting = null;
      }
    })();
    await this.cursorWriting;
    st.lease = Math.max(st.lease, c.lease);
    if (c.acked > st.durableAcked) {
      st.durableAcked = c.acked;
      this.deleteAcked();
    }
  }

  /** Deletes closed segments whose records are all acknowledged (the cursor saying so is durable). */
  private deleteAcked(): void {
    const { st, d } = this;
    const gone = st.segments.filter((s) => s !== d.writer.segment && s.maxSeq <= st.durableAcked);
    for (const s of gone) {
      d.reads.close(s.path);
      d.fs.unlinkSync(s.path);
    }
    if (gone.length) {
      st.segments = st.segments.filter((s) => !gone.includes(s));
      this.dirDirty = true;
    }
  }

  /** Rewrites a segment without its corrupt blocks, so the same bit rot is not reported at every start. */
  private repair(seg: SegmentInfo): void {
    const { st, d } = this;
    if (!st.segments.includes(seg)) return;
    if (seg === d.writer.segment) d.writer.detach(); // the next commit opens a fresh segment
    const recs = segmentRecords(d.fs.readFileSync(seg.path), seg);
    const rw = buildSegment(seg.path, seg.nameSeq, st.id, seg.thinK, seg.afterSeq, recs);
    this.runPlans([{ seg, rewrite: rw }]);
    d.log.info(`spool: rewrote ${seg.path} without its corrupt blocks (${recs.length} records kept)`);
  }

  /** Replaces or deletes planned segments (after their gap markers are durable). */
  runPlans(plans: CapacityPlan[]): void {
    const { st, d } = this;
    for (const p of plans) {
      d.reads.close(p.seg.path);
      const written = applyPlan(d.fs, p);
      if (p.rewrite) st.stat.fsyncs++;
      st.stat.bytesWritten += written;
      const info = p.rewrite?.info;
      if (st.segments.includes(p.seg)) st.segments = info ? st.segments.map((s) => (s === p.seg ? info : s)) : st.segments.filter((s) => s !== p.seg);
    }
    if (plans.length) this.dirDirty = true;
  }
}
