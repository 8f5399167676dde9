import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../log.js';
import type { StatusBoard } from '../status/board.js';
import { systemClock, type Clock } from '../util/clock.js';
import { CURSOR_FILE, MAX_PAYLOAD, SEQ_LEASE_STEP, TMP_SUFFIX } from './constants.js';
import { emptyTotals, writeCursor, type CursorState, type LossTotals } from './cursor.js';
import { StorageHealth } from './fault.js';
import { fsyncDir, realFs, type SpoolFs } from './fs.js';
import { LossAccumulator, encodeGap, type GapInfo, type GapReason } from './gap.js';
import { resolveOptions, type ResolvedOptions, type SpoolOptions } from './options.js';
import { recover, type CorruptRegion, type Recovered } from './recovery.js';
import { takeLock } from './lock.js';
import { buildSegment, lossOf, segmentRecords, type Rec } from './rewrite.js';
import { indexFrame, type SegmentInfo } from './segment-info.js';
import { applyPlan, planCapacity, type CapacityPlan } from './capacity.js';
import { entryOf, readSegment, type SpoolEntry } from './reader.js';
import { SegmentWriter, type WriteResult } from './writer.js';
import { scanEntries, type SpoolStats } from './stats.js';

export type { SpoolEntry, SpoolStats };

export interface LossEvent {
  reason: GapReason;
  gap: GapInfo;
}

/** One commit: the records, what writing them left to make durable, and the capacity plan to run after. */
interface Prepared {
  batch: Rec[];
  w: WriteResult;
  plans: CapacityPlan[];
}

const REC_OVERHEAD = 16;

/**
 * The crash-safe store-and-forward spool: a segmented append-only log with group commit,
 * recovery, bounded capacity with thinning and gap markers, and storage-fault survival.
 * Events: 'commit'(seq) committedSeq advanced (a durable commit, or while storage fails a
 * record held in memory: the link sends on it), 'durable'(seq) a completed durable commit,
 * 'fault'(why | null), 'loss'(LossEvent).
 *
 * Durability: a record is durable once a 'durable' with a seq >= its seq was emitted
 * (durableSeq). read() returns only durable records, plus, while storage is failing, records
 * held in memory whose seqs are covered by the durable seq lease (see cursor.ts), so a seq the
 * server may have seen is never reused.
 */
export class Spool extends EventEmitter {
  private readonly o: ResolvedOptions;
  private readonly fs: SpoolFs;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly health: StorageHealth;
  private readonly status: StatusBoard | undefined;
  private readonly readOnly: boolean;
  private id = '';
  private segments: SegmentInfo[] = [];
  private readonly writer: SegmentWriter;
  private pending: Rec[] = [];
  private pendingBytes = 0;
  private inflight: Rec[] = [];
  private next = 1;
  private committed = 0;
  private acked = 0;
  private durableAcked = 0;
  private lease = 0;
  private totals: LossTotals = emptyTotals();
  private readonly losses = new Map<GapReason, LossAccumulator>(
    (['thinned', 'dropped', 'corrupt', 'ring'] as GapReason[]).map((r) => [r, new LossAccumulator(r)]),
  );
  private committing: Promise<void> | null = null;
  private commitAgain = false;
  private inSyncCommit = false;
  private commitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private cursorTimer: NodeJS.Timeout | null = null;
  private cursorWriting: Promise<void> | null = null;
  private cursorDirty = false;
  private lastCursorWrite = -Infinity;
  private readFds = new Map<string, number>();
  private pendingRepairs: SegmentInfo[] = [];
  private closed = false;
  private unlock: () => void = () => {};
  private stat = { bytesWritten: 0, payloadBytes: 0, fsyncs: 0, commits: 0 };

  private constructor(opts: SpoolOptions) {
    super();
    this.o = resolveOptions(opts);
    this.fs = opts.fs ?? realFs;
    this.log = opts.log ?? silentLogger();
    this.clock = opts.clock ?? systemClock;
    this.status = opts.status;
    this.readOnly = opts.readOnly === true;
    this.writer = new SegmentWriter(this.fs, this.o.dir, this.o.segmentBytes);
    this.health = new StorageHealth(this.log, opts.status, this, this.o.retryMinMs, this.o.retryMaxMs);
  }

  /**
   * Opens (creating if needed) the spool in opts.dir and recovers it: verifies every frame,
   * cuts a torn tail, reports and repairs corrupt blocks with a gap marker. Throws only when
   * the directory cannot be listed or holds another spool's segments; write failures during
   * recovery put the spool in storage-fault mode instead.
   */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const s = new Spool(opts);
    try {
      await s.recover();
    } catch (err) {
      s.unlock();
      throw err;
    }
    return s;
  }

  /** Random id of this spool (32 hex digits), created with it and persisted: a wiped card gets a new one. */
  get spoolId(): string {
    return this.id;
  }

  /**
   * Records not yet acknowledged (on disk and in memory), from the index: cheap enough to call
   * after every commit (it is published to the StatusBoard as the backlog).
   */
  get backlog(): number {
    let n = this.pending.length + this.inflight.length;
    for (const seg of this.segments) {
      if (seg.maxSeq <= this.acked) continue;
      if (seg.minSeq > this.acked) {
        n += seg.records;
        continue;
      }
      for (let b = 0; b < seg.blockFirst.length; b++) {
        const first = seg.blockFirst[b]!;
        const next = seg.blockFirst[b + 1] || seg.maxSeq + 1;
        if (first === 0 || next - 1 <= this.acked) continue;
        n += first > this.acked ? seg.blockCount[b]! : Math.min(seg.blockCount[b]!, next - 1 - this.acked);
      }
    }
    return n;
  }

  get nextSeq(): number {
    return this.next;
  }
  /**
   * The highest seq the link may send: durable records, and while storage fails, records held
   * in memory whose seqs the durable lease covers (so a truck with a dead card still reports).
   * Advances emit 'commit'(seq); durable commits also emit 'durable'(seq).
   */
  get committedSeq(): number {
    return Math.max(this.committed, this.readableRingTop());
  }
  /** The highest seq durable on the card (everything up to it survives a power cut). */
  get durableSeq(): number {
    return this.committed;
  }
  get ackedSeq(): number {
    return this.acked;
  }
  /** the newest seq handed out */
  get headSeq(): number {
    return this.next - 1;
  }
  get fault(): string | null {
    return this.health.fault;
  }
  get dir(): string {
    return this.o.dir;
  }

  // ---------------------------------------------------------------- recovery

  private async recover(): Promise<void> {
    const { dir } = this.o;
    if (this.readOnly) {
      this.recoverReadOnly();
      return;
    }
    try {
      this.fs.mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') this.log.warn(`spool: cannot create ${dir} (${(err as NodeJS.ErrnoException).code})`);
    }
    this.unlock = takeLock(this.fs, dir);
    const r = recover(this.fs, dir);
    for (const n of r.notes) this.log.warn(`spool: ${n}`);
    if (r.cursorProblem) this.log.warn(`spool: ${CURSOR_FILE} is unusable (${r.cursorProblem}); rebuilding it from the segments`);
    for (const u of r.unreadable) this.log.error(`spool: cannot read ${u.path} (${u.why}); skipped`);
    this.id = r.cursor?.spoolId ?? r.headerSpoolId ?? randomBytes(16).toString('hex');
    if (r.cursor && r.headerSpoolId && r.cursor.spoolId !== r.headerSpoolId) throw new Error(`spool ${dir}: ${CURSOR_FILE} has spool id ${r.cursor.spoolId} but the segments ${r.headerSpoolId}`);
    this.adopt(r);
    this.lease = r.cursor?.lease ?? 0;
    // What recovery dropped: torn tails are writes a crash interrupted (never committed);
    // corrupt blocks are losses and get a gap marker.
    this.totals.tornBytes += r.tornBytes;
    if (r.tornBytes > 0) this.log.warn(`spool: cut a torn tail of ${r.tornBytes} bytes (writes interrupted by a crash; everything committed is intact)`);
    for (const c of r.corrupt) this.reportCorrupt(c);
    const last = this.segments[this.segments.length - 1];
    try {
      for (const p of r.empty) this.fs.unlinkSync(p);
      for (const n of this.fs.readdirSync(dir)) if (n.endsWith(TMP_SUFFIX)) this.fs.unlinkSync(join(dir, n));
      if (last) this.writer.resume(last, r.tornBytes, r.tail);
      this.health.ok();
    } catch (err) {
      this.health.fail('recovery', err);
    }
    this.pendingRepairs = [...new Set(r.corrupt.map((c) => c.seg))];
    this.lastCursorWrite = -Infinity;
    this.cursorDirty = true;
    if (this.health.fault === null) {
      // Make the new lease and any gap markers durable now, then repair corrupt segments.
      await this.flush();
    } else this.scheduleRetry(this.o.retryMinMs);
    const total = this.segments.reduce((n, s) => n + s.records, 0);
    this.log.info(`spool: ${dir}: ${total} records in ${this.segments.length} segments, acked ${this.acked}, next seq ${this.next}`);
  }

  /** Takes over what recovery found; the next seq is past everything on disk, the ack and the lease. */
  private adopt(r: Recovered): void {
    if (r.cursor) this.totals = r.cursor.totals;
    this.segments = r.segments;
    const maxSeq = this.segments.length ? this.segments[this.segments.length - 1]!.maxSeq : 0;
    this.acked = this.durableAcked = r.cursor?.acked ?? 0;
    this.committed = Math.max(maxSeq, this.acked);
    this.next = Math.max(maxSeq + 1, this.acked + 1, r.cursor?.lease ?? 0, 1);
  }

  /**
   * Read-only open (technicians' dump and stats, also next to a running agent): no lock, no
   * writes, no repairs; what recovery would cut or report is only logged.
   */
  private recoverReadOnly(): void {
    const r = recover(this.fs, this.o.dir);
    this.id = r.cursor?.spoolId ?? r.headerSpoolId ?? '';
    this.adopt(r);
    if (r.tornBytes > 0) this.log.info(`spool: ${r.tornBytes} bytes after the last complete frame (being written, or a torn tail the agent will cut)`);
    for (const c of r.corrupt) this.log.warn(`spool: ${c.seg.path}: ${c.reason} at offset ${c.offset}; ${c.bytes} bytes skipped (not delivered)`);
  }

  private reportCorrupt(c: CorruptRegion): void {
    const missing = c.nextSeq > 0 ? c.nextSeq - c.prevSeq - 1 : 0;
    // At most one record per 6 bytes fits in the bad stretch; seq holes may also be thinning or lease skips.
    const lost = Math.min(missing, Math.floor(c.bytes / 6));
    if (lost === 0 && c.tail) {
      // The end of a segment a crash or a failed write left behind; the next segment goes on without a hole.
      this.totals.tornBytes += c.bytes;
      this.log.warn(`spool: ${c.seg.path}: cut a torn tail of ${c.bytes} bytes (nothing missing)`);
      return;
    }
    this.totals.corruptBytes += c.bytes;
    this.log.error(`spool: ${c.seg.path}: ${c.reason} at offset ${c.offset}; skipped ${c.bytes} bytes${lost > 0 ? `, up to ${lost} records (seq ${c.prevSeq + 1}..${c.nextSeq - 1})` : ''}`);
    if (lost > 0) {
      this.noteLoss('corrupt', { fromSeq: c.prevSeq + 1, toSeq: c.nextSeq - 1, fromTimeMs: c.prevTimeMs, toTimeMs: c.nextTimeMs || c.prevTimeMs, lost, reason: 'corrupt' });
      this.totals.dropped += lost;
    }
  }

  private noteLoss(reason: GapReason, g: GapInfo): void {
    this.losses.get(reason)!.merge(g);
    this.emit('loss', { reason, gap: g } satisfies LossEvent);
  }

  // ---------------------------------------------------------------- append / commit

  /**
   * Appends one encoded record; returns its seq. It becomes durable at the next group commit
   * (or before returning, with fsync 'always'). Never throws for storage trouble: the record
   * is held in memory and the disk retried. Throws RangeError for an oversized payload or a
   * bad time, and Error after close().
   */
  append(payload: Uint8Array, timeMs: number): number {
    if (this.closed) throw new Error('spool is closed');
    if (this.readOnly) throw new Error('spool is open read-only');
    if (payload.length > MAX_PAYLOAD) throw new RangeError(`spool: payload of ${payload.length} bytes exceeds the maximum of ${MAX_PAYLOAD}`);
    if (!Number.isSafeInteger(timeMs)) throw new RangeError(`spool: timeMs must be an integer, got ${timeMs}`);
    const seq = this.next++;
    this.push({ seq, timeMs, kind: 'data', payload: payload.slice() }); // the caller may reuse its buffer
    this.stat.payloadBytes += payload.length;
    this.afterAppend();
    return seq;
  }

  private push(r: Rec): void {
    this.pending.push(r);
    this.pendingBytes += r.payload.length + REC_OVERHEAD;
    // Bounded memory: beyond ringBytes the oldest waiting records give way (and are reported).
    while (this.pendingBytes > this.o.ringBytes && this.pending.length > 1) {
      const old = this.pending.shift()!;
      this.pendingBytes -= old.payload.length + REC_OVERHEAD;
      const g = { ...lossOf(old), reason: 'ring' as const };
      if (old.kind === 'data') this.totals.dropped++;
      this.noteLoss('ring', g);
    }
  }

  private appendGap(g: GapInfo): void {
    const seq = this.next++;
    this.push({ seq, timeMs: g.toTimeMs, kind: 'gap', payload: encodeGap(g) });
  }

  private afterAppend(): void {
    if (this.closed) return;
    if (this.health.fault !== null) {
      const top = this.readableRingTop();
      if (top > this.committed) this.emit('commit', top);
      return;
    }
    if (this.o.fsync === 'always') {
      // Durable before append returns. An async commit in flight is only cursor maintenance
      // (nothing inflight), which does not touch the segment writer; else the record joins it.
      if (!this.inSyncCommit && this.inflight.length === 0) this.commitSync();
      return;
    }
    if (this.pendingBytes >= this.o.commitBytes) void this.commit();
    else if (this.commitTimer === null && this.committing === null) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = null;
        void this.commit();
      }, this.o.commitIntervalMs);
      this.commitTimer.unref();
    }
  }

  /** Commits now: resolves when everything appended before the call is durable (or storage failed). */
  flush(): Promise<void> {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    this.cursorDirty = this.cursorDirty || this.acked !== this.durableAcked;
    this.lastCursorWrite = -Infinity;
    return this.commit();
  }

  private commit(): Promise<void> {
    if (this.committing) {
      this.commitAgain = true;
      return this.committing;
    }
    this.committing = (async () => {
      try {
        do {
          this.commitAgain = false;
          await this.commitOnce();
        } while (this.commitAgain && this.health.fault === null);
      } finally {
        this.committing = null;
      }
      if (this.pending.length > 0 && this.health.fault === null && !this.closed) this.afterAppend();
    })();
    return this.committing;
  }

  private async commitOnce(): Promise<void> {
    try {
      const prep = this.prepare();
      if (prep) {
        for (const fd of prep.w.fds) {
          await this.fs.fdatasync(fd);
          this.stat.fsyncs++;
        }
        if (prep.w.syncDir) {
          await fsyncDir(this.fs, this.o.dir);
          this.stat.fsyncs++;
        }
        this.finish(prep);
      }
      await this.maintain();
    } catch (err) {
      this.failed(err);
    }
  }

  /** fsync 'always': the same steps, synchronously, inside append(). */
  private commitSync(): void {
    this.inSyncCommit = true;
    try {
      while (this.pending.length > 0 && this.health.fault === null) {
        try {
          const prep = this.prepare();
          if (!prep) break;
          for (const fd of prep.w.fds) {
            this.fs.fsyncSync(fd);
            this.stat.fsyncs++;
          }
          if (prep.w.syncDir) {
            const fd = this.fs.openSync(this.o.dir, 'r');
            try {
              this.fs.fsyncSync(fd);
            } finally {
              this.fs.closeSync(fd);
            }
            this.stat.fsyncs++;
          }
          this.finish(prep);
        } catch (err) {
          this.failed(err);
        }
      }
    } finally {
      this.inSyncCommit = false;
    }
    if (this.needsMaintenance()) void this.commit();
  }

  /**
   * Takes the waiting records, plans capacity, and writes the frames (page cache only).
   * Gap markers for what the capacity plan removes are written in this same batch, before the
   * plan runs: a crash in between over-reports a loss, it never hides one.
   */
  private prepare(): Prepared | null {
    for (const acc of this.losses.values()) {
      const g = acc.take();
      if (g) this.appendGap(g);
    }
    if (this.pending.length === 0) return null;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.inflight = batch;
    const incoming = batch.reduce((n, r) => n + r.payload.length + 8, 0);
    const plans = planCapacity({
      segments: this.segments,
      active: this.writer.segment,
      acked: this.acked,
      capacityBytes: this.o.capacityBytes,
      incoming,
      spoolId: this.spoolId,
      readFile: (path) => this.fs.readFileSync(path),
      lose: (r, reason) => this.lose(r, reason),
    });
    if (plans.length > 0) {
      for (const acc of this.losses.values()) {
        const g = acc.take();
        if (g) batch.push({ seq: this.next++, timeMs: g.toTimeMs, kind: 'gap', payload: encodeGap(g) });
      }
    }
    const w = this.writer.write(batch, this.spoolId, this.committed, (seg) => {
      // a file of the same name can only be an abandoned segment that holds nothing durable
      this.segments = this.segments.filter((x) => x.path !== seg.path);
      this.segments.push(seg);
    });
    return { batch, w, plans };
  }

  private finish(prep: Prepared): void {
    for (const ix of prep.w.index) indexFrame(ix.seg, ix);
    for (const [seg, size] of prep.w.sizes) seg.size = size;
    this.writer.committed();
    this.inflight = [];
    this.committed = prep.batch[prep.batch.length - 1]!.seq;
    this.stat.bytesWritten += prep.w.bytes;
    this.stat.commits++;
    this.health.ok();
    this.status?.setBacklog(this.backlog);
    this.emit('durable', this.committed);
    this.emit('commit', this.committed);
    this.runPlans(prep.plans);
  }

  /**
   * A write or fsync failed. Nothing of this batch counts as durable: the active segment is
   * abandoned (its durable part stays readable) and the records go back to memory, to be
   * written into a fresh segment when the disk works again.
   */
  private failed(err: unknown): void {
    if (this.inflight.length) {
      const back = this.inflight;
      this.inflight = [];
      const waiting = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      for (const r of back) this.push(r);
      for (const r of waiting) this.push(r);
    }
    const abandoned = this.writer.abandon();
    if (abandoned && abandoned.records === 0) this.segments = this.segments.filter((s) => s !== abandoned);
    const wait = this.health.fail(describeOp(err), err);
    this.scheduleRetry(wait);
    // what waits in memory is now sendable (committedSeq covers it): tell the link
    const top = this.readableRingTop();
    if (top > this.committed) this.emit('commit', top);
  }

  private scheduleRetry(ms: number): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.commit().then(() => {
        if (this.health.fault !== null) return;
        if (this.pending.length) this.afterAppend();
      });
    }, ms);
    this.retryTimer.unref();
  }

  private closeQuietly(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      /* nothing to do */
    }
  }

  // ---------------------------------------------------------------- capacity

  private diskBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  private lose(r: Rec, reason: 'thinned' | 'dropped'): void {
    const g = { ...lossOf(r), reason };
    if (r.kind === 'data') this.totals[reason]++;
    this.noteLoss(reason, g);
  }

  /** Replaces or deletes planned segments (after their gap markers are durable). */
  private runPlans(plans: CapacityPlan[]): void {
    for (const p of plans) {
      this.closeReadFd(p.seg.path);
      const written = applyPlan(this.fs, p);
      if (p.rewrite) this.stat.fsyncs++;
      this.stat.bytesWritten += written;
      const idx = this.segments.indexOf(p.seg);
      if (idx >= 0) {
        if (p.rewrite) this.segments[idx] = p.rewrite.info;
        else this.segments.splice(idx, 1);
      }
    }
    if (plans.length) this.dirDirty = true;
  }

  private dirDirty = false;

  // ---------------------------------------------------------------- ack, cursor, maintenance

  /** Cumulative acknowledgement: every record with seq <= seq was stored by the server. */
  ack(seq: number): void {
    if (!Number.isSafeInteger(seq)) throw new RangeError(`spool: ack seq must be an integer, got ${seq}`);
    if (this.readOnly) throw new Error('spool is open read-only');
    const top = Math.max(this.committed, this.readableRingTop());
    const a = Math.min(seq, top);
    if (a <= this.acked) return;
    this.acked = a;
    if (this.health.fault !== null) {
      // acknowledged records held in memory need no disk any more
      const keep = this.pending.filter((r) => r.seq > a);
      this.pending = [];
      this.pendingBytes = 0;
      for (const r of keep) this.push(r);
    }
    this.status?.setBacklog(this.backlog);
    this.cursorDirty = true;
    if (this.cursorTimer === null && !this.closed) {
      const wait = Math.max(0, this.lastCursorWrite + this.o.cursorIntervalMs - this.clock.now());
      this.cursorTimer = setTimeout(() => {
        this.cursorTimer = null;
        if (this.health.fault === null) void this.commit();
      }, wait);
      this.cursorTimer.unref();
    }
  }

  private needsMaintenance(): boolean {
    return (this.cursorDirty && this.clock.now() - this.lastCursorWrite >= this.o.cursorIntervalMs) || this.next + this.pending.length >= this.lease - SEQ_LEASE_STEP / 2 || this.pendingRepairs.length > 0 || this.dirDirty;
  }

  /** After a commit: persist the cursor (ack and seq lease), delete acknowledged segments, repair corrupt ones. */
  private async maintain(): Promise<void> {
    const leaseLow = this.next + this.pending.length >= this.lease - SEQ_LEASE_STEP / 2;
    const cursorDue = this.cursorDirty && this.clock.now() - this.lastCursorWrite >= this.o.cursorIntervalMs;
    if (leaseLow || cursorDue) await this.persistCursor(leaseLow ? this.next + SEQ_LEASE_STEP : this.lease);
    if (this.pendingRepairs.length) {
      const segs = this.pendingRepairs;
      this.pendingRepairs = [];
      for (const s of segs) this.repair(s);
    }
    if (this.dirDirty) {
      this.dirDirty = false;
      await fsyncDir(this.fs, this.o.dir);
      this.stat.fsyncs++;
    }
  }

  private async persistCursor(lease: number): Promise<void> {
    while (this.cursorWriting) await this.cursorWriting;
    const c: CursorState = { spoolId: this.spoolId, acked: this.acked, lease, totals: { ...this.totals } };
    this.cursorDirty = false;
    this.lastCursorWrite = this.clock.now();
    this.cursorWriting = (async () => {
      try {
        this.stat.bytesWritten += await writeCursor(this.fs, this.o.dir, c);
        this.stat.fsyncs += 2;
      } catch (err) {
        this.cursorDirty = true;
        throw err;
      } finally {
        this.cursorWriting = null;
      }
    })();
    await this.cursorWriting;
    this.lease = Math.max(this.lease, c.lease);
    if (c.acked > this.durableAcked) {
      this.durableAcked = c.acked;
      this.deleteAcked();
    }
  }

  /** Deletes closed segments whose records are all acknowledged (the cursor saying so is durable). */
  private deleteAcked(): void {
    const gone = this.segments.filter((s) => s !== this.writer.segment && s.maxSeq <= this.durableAcked);
    for (const s of gone) {
      this.closeReadFd(s.path);
      this.fs.unlinkSync(s.path);
    }
    if (gone.length) {
      this.segments = this.segments.filter((s) => !gone.includes(s));
      this.dirDirty = true;
    }
  }

  /** Rewrites a segment without its corrupt blocks, so the same bit rot is not reported at every start. */
  private repair(seg: SegmentInfo): void {
    if (!this.segments.includes(seg)) return;
    if (seg === this.writer.segment) this.writer.detach(); // the next commit opens a fresh segment
    const recs = segmentRecords(this.fs.readFileSync(seg.path), seg);
    const rw = buildSegment(seg.path, seg.nameSeq, this.spoolId, seg.thinK, seg.afterSeq, recs);
    this.runPlans([{ seg, rewrite: rw }]);
    this.log.info(`spool: rewrote ${seg.path} without its corrupt blocks (${recs.length} records kept)`);
  }

  // ---------------------------------------------------------------- read

  private readableRingTop(): number {
    if (this.health.fault === null) return 0;
    let top = 0;
    for (const r of this.pending) if (r.seq < this.lease) top = r.seq;
    return top;
  }

  /**
   * Up to maxCount entries (and about maxBytes of payload) with seq >= fromSeq, in seq order:
   * durable records and gap markers, plus memory-held ones while storage fails. A frame that
   * fails its CRC is never returned (it is counted and reported instead).
   */
  read(fromSeq: number, maxCount: number, maxBytes = Infinity): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    let bytes = 0;
    const full = () => out.length >= maxCount || bytes >= maxBytes;
    const take = (e: SpoolEntry): boolean => {
      if (out.length > 0 && bytes + e.payload.length > maxBytes) return false;
      out.push(e);
      bytes += e.payload.length;
      return !full();
    };
    if (maxCount <= 0) return out;
    fromSeq = Math.max(fromSeq, this.acked + 1); // acknowledged records are gone, even if not yet deleted
    for (const seg of this.segments) {
      if (seg.records === 0 || seg.maxSeq < fromSeq) continue;
      let more: boolean;
      try {
        more = readSegment(this.fs, this.readFd(seg.path), seg, fromSeq, take, (c) => {
          // bit rot since the spool was opened: never delivered, reported once, repaired
          const next = seg.blockFirst.slice(c.block + 1).find((q) => q > 0) ?? seg.maxSeq + 1;
          this.reportCorrupt({ seg, ...c, prevSeq: seg.blockFirst[c.block] || 0, prevTimeMs: seg.minTimeMs, nextSeq: next, nextTimeMs: seg.maxTimeMs, tail: false });
          this.pendingRepairs.push(seg);
        });
      } catch (err) {
        // an unreadable card must not take the link down: report it, deliver what was read
        this.closeReadFd(seg.path);
        this.scheduleRetry(this.health.fail(`read ${seg.path}`, err)); // a good commit clears it
        return out;
      }
      if (!more) return out;
    }
    if (this.health.fault !== null) {
      for (const r of this.pending) {
        if (r.seq < fromSeq || r.seq >= this.lease || r.seq <= this.committed) continue;
        if (!take(entryOf(r.seq, r.timeMs, r.kind, r.payload))) break;
      }
    }
    return out;
  }

  private readFd(path: string): number {
    let fd = this.readFds.get(path);
    if (fd === undefined) {
      fd = this.fs.openSync(path, 'r');
      this.readFds.set(path, fd);
    }
    return fd;
  }

  private closeReadFd(path: string): void {
    const fd = this.readFds.get(path);
    if (fd !== undefined) {
      this.readFds.delete(path);
      this.closeQuietly(fd);
    }
  }

  // ---------------------------------------------------------------- stats, close

  /** Counts by reading every unacknowledged record: O(records), for the CLI and tests (see backlog). */
  stats(): SpoolStats {
    const { data, gaps, gapLost, oldest, newest } = scanEntries((from, max) => this.read(from, max), this.acked + 1);
    const unreadable = this.pending.filter((r) => this.health.fault === null || r.seq >= this.lease);
    return {
      spoolId: this.spoolId,
      dir: this.o.dir,
      records: data + gaps + unreadable.length,
      dataRecords: data,
      gapRecords: gaps,
      bytes: this.diskBytes(),
      segments: this.segments.length,
      oldestSeq: oldest?.seq ?? null,
      newestSeq: newest?.seq ?? null,
      oldestTimeMs: oldest?.timeMs ?? null,
      newestTimeMs: newest?.timeMs ?? null,
      ackedSeq: this.acked,
      committedSeq: this.committed,
      nextSeq: this.next,
      gaps,
      gapLost,
      dropped: this.totals.dropped,
      thinned: this.totals.thinned,
      corruptBytes: this.totals.corruptBytes,
      tornBytes: this.totals.tornBytes,
      pendingRecords: this.pending.length + this.inflight.length,
      bytesWritten: this.stat.bytesWritten,
      payloadBytesAppended: this.stat.payloadBytes,
      fsyncs: this.stat.fsyncs,
      commits: this.stat.commits,
      fault: this.health.fault,
    };
  }

  /** Commits what is waiting, writes the cursor (lease = next seq, so seqs stay dense) and closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.readOnly) {
      this.closed = true;
      for (const p of [...this.readFds.keys()]) this.closeReadFd(p);
      return;
    }
    await this.flush();
    this.closed = true;
    for (const t of [this.commitTimer, this.retryTimer, this.cursorTimer]) if (t) clearTimeout(t);
    if (this.health.fault === null && this.pending.length === 0) {
      try {
        await this.persistCursor(this.next);
        this.lease = this.next;
        if (this.dirDirty) await fsyncDir(this.fs, this.o.dir);
      } catch (err) {
        this.health.fail('close', err);
      }
    }
    if (this.pending.length > 0) this.log.error(`spool: closing with ${this.pending.length} records not on disk (storage fault: ${this.health.fault})`);
    this.writer.detach();
    for (const p of [...this.readFds.keys()]) this.closeReadFd(p);
    this.unlock();
  }
}

function describeOp(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e.syscall ?? 'write'}${e.path ? ` ${e.path}` : ''}`;
}
