import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';
import { BLOCK_BYTES, CURSOR_FILE, MAX_PAYLOAD, SEGMENT_HEADER_BYTES, SEQ_LEASE_STEP, THIN_MAX_K, TMP_SUFFIX, segmentName } from './constants.js';
import { emptyTotals, writeCursor, type CursorState, type LossTotals } from './cursor.js';
import { StorageHealth } from './fault.js';
import { ByteSink, FrameEncoder, type Kind } from './frame.js';
import { fsyncDir, realFs, writeAll, type SpoolFs } from './fs.js';
import { LossAccumulator, decodeGap, encodeGap, type GapInfo, type GapReason } from './gap.js';
import { resolveOptions, type ResolvedOptions, type SpoolOptions } from './options.js';
import { recover, type CorruptRegion } from './recovery.js';
import { takeLock } from './lock.js';
import { buildSegment, lossOf, segmentRecords, type Rec } from './rewrite.js';
import { encodeSegmentHeader } from './segment.js';
import { blockRange, emptySegment, indexFrame, startBlock, type SegmentInfo } from './segment-info.js';
import { decodeBlock } from './frame.js';

export interface SpoolEntry {
  seq: number;
  timeMs: number;
  kind: Kind;
  payload: Uint8Array;
  gap?: GapInfo;
}

export interface SpoolStats {
  spoolId: string;
  dir: string;
  /** records stored and not yet acknowledged (data + gap markers), on disk and in memory */
  records: number;
  dataRecords: number;
  gapRecords: number;
  /** bytes of all segment files */
  bytes: number;
  segments: number;
  oldestSeq: number | null;
  newestSeq: number | null;
  oldestTimeMs: number | null;
  newestTimeMs: number | null;
  ackedSeq: number;
  committedSeq: number;
  nextSeq: number;
  /** gap markers stored, and the data records they report lost */
  gaps: number;
  gapLost: number;
  /** life totals: records dropped (capacity, corruption, memory ring) and thinned */
  dropped: number;
  thinned: number;
  corruptBytes: number;
  tornBytes: number;
  /** records waiting in memory (not yet durable) */
  pendingRecords: number;
  /** since this process opened the spool */
  bytesWritten: number;
  payloadBytesAppended: number;
  fsyncs: number;
  commits: number;
  fault: string | null;
}

export interface LossEvent {
  reason: GapReason;
  gap: GapInfo;
}

interface Active {
  seg: SegmentInfo;
  fd: number;
  enc: FrameEncoder;
}

/** What one commit wrote and must make durable before it counts. */
interface Prepared {
  batch: Rec[];
  fds: number[];
  syncDir: boolean;
  index: { seg: SegmentInfo; seq: number; timeMs: number; kind: Kind; frameStart: number; frameEnd: number }[];
  sizes: Map<SegmentInfo, number>;
  plans: CapacityPlan[];
  bytes: number;
}

interface CapacityPlan {
  seg: SegmentInfo;
  /** the rewritten file (thinning) or null (the whole segment is dropped) */
  rewrite: { bytes: Uint8Array; info: SegmentInfo } | null;
}

const REC_OVERHEAD = 16;

/**
 * The crash-safe store-and-forward spool: a segmented append-only log with group commit,
 * recovery, bounded capacity with thinning and gap markers, and storage-fault survival.
 * Events: 'commit'(seq), 'fault'(why | null), 'loss'(LossEvent).
 *
 * Durability: a record is durable once a 'commit' with a seq >= its seq was emitted.
 * read() returns only durable records, plus, while storage is failing, records held in memory
 * whose seqs are covered by the durable seq lease (see cursor.ts), so a seq the server may
 * have seen is never reused.
 */
export class Spool extends EventEmitter {
  private readonly o: ResolvedOptions;
  private readonly fs: SpoolFs;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly health: StorageHealth;
  spoolId = '';
  private segments: SegmentInfo[] = [];
  private active: Active | null = null;
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

  get nextSeq(): number {
    return this.next;
  }
  get committedSeq(): number {
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
    this.spoolId = r.cursor?.spoolId ?? r.headerSpoolId ?? randomBytes(16).toString('hex');
    if (r.cursor && r.headerSpoolId && r.cursor.spoolId !== r.headerSpoolId) throw new Error(`spool ${dir}: ${CURSOR_FILE} has spool id ${r.cursor.spoolId} but the segments ${r.headerSpoolId}`);
    if (r.cursor) this.totals = r.cursor.totals;
    this.segments = r.segments;
    const maxSeq = this.segments.length ? this.segments[this.segments.length - 1]!.maxSeq : 0;
    this.acked = this.durableAcked = r.cursor?.acked ?? 0;
    this.committed = Math.max(maxSeq, this.acked);
    this.next = Math.max(maxSeq + 1, this.acked + 1, r.cursor?.lease ?? 0, 1);
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
      if (last && last.path === this.tailPath(r)) this.reopenTail(last, r.tornBytes, r.tail);
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

  private tailPath(r: { segments: SegmentInfo[] }): string | undefined {
    return r.segments[r.segments.length - 1]?.path;
  }

  /** Continues writing at the end of the last segment (after cutting its torn tail). */
  private reopenTail(seg: SegmentInfo, torn: number, tail: { seq: number; timeMs: number; dt: number | null } | null): void {
    if (seg.size >= this.o.segmentBytes) return;
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

  private reportCorrupt(c: CorruptRegion): void {
    this.totals.corruptBytes += c.bytes;
    const missing = c.nextSeq > 0 ? c.nextSeq - c.prevSeq - 1 : 0;
    // At most one record per 6 bytes fits in the bad stretch; seq holes may also be thinning or lease skips.
    const lost = Math.min(missing, Math.floor(c.bytes / 6));
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
    if (payload.length > MAX_PAYLOAD) throw new RangeError(`spool: payload of ${payload.length} bytes exceeds the maximum of ${MAX_PAYLOAD}`);
    if (!Number.isSafeInteger(timeMs)) throw new RangeError(`spool: timeMs must be an integer, got ${timeMs}`);
    const seq = this.next++;
    this.push({ seq, timeMs, kind: 'data', payload });
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
    if (this.health.fault !== null || this.closed) return;
    if (this.o.fsync === 'always') {
      if (!this.inSyncCommit && this.committing === null) this.commitSync();
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
    let prep: Prepared | null = null;
    try {
      prep = this.prepare();
      if (prep) {
        for (const fd of prep.fds) {
          await this.fs.fdatasync(fd);
          this.stat.fsyncs++;
        }
        if (prep.syncDir) {
          await fsyncDir(this.fs, this.o.dir);
          this.stat.fsyncs++;
        }
        this.finish(prep);
      }
      await this.maintain();
    } catch (err) {
      this.failed(prep, err);
    }
  }

  /** fsync 'always': the same steps, synchronously, inside append(). */
  private commitSync(): void {
    this.inSyncCommit = true;
    try {
      while (this.pending.length > 0 && this.health.fault === null) {
        let prep: Prepared | null = null;
        try {
          prep = this.prepare();
          if (!prep) break;
          for (const fd of prep.fds) {
            this.fs.fsyncSync(fd);
            this.stat.fsyncs++;
          }
          if (prep.syncDir) {
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
          this.failed(prep, err);
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
    let batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.inflight = batch;
    const incoming = batch.reduce((n, r) => n + r.payload.length + 8, 0);
    const plans = this.planCapacity(incoming);
    if (plans.length > 0) {
      for (const acc of this.losses.values()) {
        const g = acc.take();
        if (g) {
          const seq = this.next++;
          batch.push({ seq, timeMs: g.toTimeMs, kind: 'gap', payload: encodeGap(g) });
        }
      }
      batch = this.inflight = batch;
    }
    const prep: Prepared = { batch, fds: [], syncDir: false, index: [], sizes: new Map(), plans, bytes: 0 };
    const sink = new ByteSink(incoming + 2 * BLOCK_BYTES);
    let writeAt = 0;
    const flushSink = () => {
      if (sink.len > 0 && this.active) {
        writeAll(this.fs, this.active.fd, sink.bytes(), writeAt);
        prep.bytes += sink.len;
        if (!prep.fds.includes(this.active.fd)) prep.fds.push(this.active.fd);
        prep.sizes.set(this.active.seg, this.active.enc.offset);
      }
      sink.reset();
    };
    if (this.active) writeAt = this.active.enc.offset;
    for (const r of batch) {
      const a = this.active;
      if (!a || (a.enc.endIfAppended(r.payload.length) > this.o.segmentBytes && a.enc.offset > SEGMENT_HEADER_BYTES)) {
        flushSink();
        this.roll(r.seq, prep);
        writeAt = 0;
        sink.ensure(SEGMENT_HEADER_BYTES);
        sink.buf.set(encodeSegmentHeader({ spoolId: this.spoolId, thinK: 1 }), 0);
        sink.len = SEGMENT_HEADER_BYTES;
      }
      const act = this.active!;
      act.enc.encode(r.kind, r.seq, r.timeMs, r.payload, sink);
      prep.index.push({ seg: act.seg, seq: r.seq, timeMs: r.timeMs, kind: r.kind, frameStart: act.enc.lastFrameStart, frameEnd: act.enc.lastFrameEnd });
    }
    flushSink();
    return prep;
  }

  /** Closes the active segment (it stays readable) and creates the next one. */
  private roll(firstSeq: number, prep: Prepared): void {
    if (this.active) {
      if (!prep.fds.includes(this.active.fd)) {
        // already durable; just close it
        this.fs.closeSync(this.active.fd);
      } else this.closeAfterCommit.push(this.active.fd);
      this.active = null;
    }
    const path = join(this.o.dir, segmentName(firstSeq));
    // A file of the same name can only be an abandoned segment that holds nothing durable.
    this.segments = this.segments.filter((s) => s.path !== path);
    const fd = this.fs.openSync(path, 'w');
    const seg = emptySegment(path, firstSeq, 1, this.committed);
    this.active = { seg, fd, enc: new FrameEncoder(SEGMENT_HEADER_BYTES, null) };
    this.segments.push(seg);
    prep.syncDir = true;
    prep.fds.push(fd);
  }

  private closeAfterCommit: number[] = [];

  private finish(prep: Prepared): void {
    for (const ix of prep.index) indexFrame(ix.seg, ix);
    for (const [seg, size] of prep.sizes) seg.size = size;
    for (const fd of this.closeAfterCommit) this.closeQuietly(fd);
    this.closeAfterCommit = [];
    this.inflight = [];
    this.committed = prep.batch[prep.batch.length - 1]!.seq;
    this.stat.bytesWritten += prep.bytes;
    this.stat.commits++;
    this.health.ok();
    this.emit('commit', this.committed);
    this.runPlans(prep.plans);
  }

  /**
   * A write or fsync failed. Nothing of this batch counts as durable: the active segment is
   * abandoned (its durable part stays readable) and the records go back to memory, to be
   * written into a fresh segment when the disk works again.
   */
  private failed(prep: Prepared | null, err: unknown): void {
    if (this.inflight.length) {
      const back = this.inflight;
      this.inflight = [];
      const waiting = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      for (const r of back) this.push(r);
      for (const r of waiting) this.push(r);
    }
    if (this.active) {
      this.closeQuietly(this.active.fd);
      if (this.active.seg.records === 0) this.segments = this.segments.filter((s) => s !== this.active!.seg);
      this.active = null;
    }
    for (const fd of this.closeAfterCommit) this.closeQuietly(fd);
    this.closeAfterCommit = [];
    void prep;
    const wait = this.health.fail(describeOp(err), err);
    this.scheduleRetry(wait);
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

  /**
   * When the segments plus the incoming batch exceed capacityBytes: thin the oldest
   * unacknowledged data first, keeping 1 record in 2 of a segment each pass (its K doubles:
   * the segment holds 1 in K of its original records), always picking the segment with the
   * smallest K, oldest first, so K grows with the pressure; once every closed segment is at
   * THIN_MAX_K, drop the oldest. Acknowledged records go for free. Losses are noted for the
   * gap marker.
   */
  private planCapacity(incoming: number): CapacityPlan[] {
    let total = this.diskBytes() + incoming;
    if (total <= this.o.capacityBytes) return [];
    const plans: CapacityPlan[] = [];
    const done = new Set<SegmentInfo>();
    while (total > this.o.capacityBytes) {
      const candidates = this.segments.filter((s) => s !== this.active?.seg && !done.has(s));
      if (candidates.length === 0) break;
      const minK = Math.min(...candidates.map((s) => s.thinK));
      const victim = minK < THIN_MAX_K ? candidates.find((s) => s.thinK === minK)! : candidates[0]!;
      done.add(victim);
      const recs = segmentRecords(this.fs.readFileSync(victim.path), victim).filter((r) => r.seq > this.acked);
      if (minK >= THIN_MAX_K || recs.length === 0) {
        for (const r of recs) this.lose(r, 'dropped');
        plans.push({ seg: victim, rewrite: null });
        total -= victim.size;
        continue;
      }
      const keep: Rec[] = [];
      let i = 0;
      for (const r of recs) {
        if (r.kind === 'gap' || i++ % 2 === 0) keep.push(r);
        else this.lose(r, 'thinned');
      }
      const rw = buildSegment(victim.path, victim.nameSeq, this.spoolId, Math.min(255, victim.thinK * 2), victim.afterSeq, keep);
      plans.push({ seg: victim, rewrite: rw });
      total -= victim.size - rw.info.size;
    }
    return plans;
  }

  private lose(r: Rec, reason: 'thinned' | 'dropped'): void {
    const g = { ...lossOf(r), reason };
    if (r.kind === 'data') this.totals[reason]++;
    this.noteLoss(reason, g);
  }

  /** Replaces or deletes planned segments (after their gap markers are durable). */
  private runPlans(plans: CapacityPlan[]): void {
    for (const p of plans) {
      const idx = this.segments.indexOf(p.seg);
      this.closeReadFd(p.seg.path);
      if (p.rewrite) {
        const tmp = p.seg.path + TMP_SUFFIX;
        const fd = this.fs.openSync(tmp, 'w');
        try {
          writeAll(this.fs, fd, p.rewrite.bytes, 0);
          this.fs.fsyncSync(fd);
        } finally {
          this.fs.closeSync(fd);
        }
        this.fs.renameSync(tmp, p.seg.path);
        this.stat.bytesWritten += p.rewrite.bytes.length;
        this.stat.fsyncs++;
        if (idx >= 0) this.segments[idx] = p.rewrite.info;
      } else {
        this.fs.unlinkSync(p.seg.path);
        if (idx >= 0) this.segments.splice(idx, 1);
      }
    }
    if (plans.length) this.dirDirty = true;
  }

  private dirDirty = false;

  // ---------------------------------------------------------------- ack, cursor, maintenance

  /** Cumulative acknowledgement: every record with seq <= seq was stored by the server. */
  ack(seq: number): void {
    if (!Number.isSafeInteger(seq)) throw new RangeError(`spool: ack seq must be an integer, got ${seq}`);
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
    const gone = this.segments.filter((s) => s !== this.active?.seg && s.maxSeq <= this.durableAcked);
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
    if (seg === this.active?.seg) return; // the active segment keeps its bad block; it is skipped on read
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
      if (!this.readSegment(seg, fromSeq, take)) return out;
    }
    if (this.health.fault !== null) {
      for (const r of this.pending) {
        if (r.seq < fromSeq || r.seq >= this.lease || r.seq <= this.committed) continue;
        if (!take(this.entry(r.seq, r.timeMs, r.kind, r.payload))) break;
      }
    }
    return out;
  }

  private entry(seq: number, timeMs: number, kind: Kind, payload: Uint8Array): SpoolEntry {
    const e: SpoolEntry = { seq, timeMs, kind, payload };
    if (kind === 'gap') {
      const g = decodeGap(payload);
      if (g) e.gap = g;
    }
    return e;
  }

  /** Reads records >= fromSeq of one segment; returns false when `take` wants no more. */
  private readSegment(seg: SegmentInfo, fromSeq: number, take: (e: SpoolEntry) => boolean): boolean {
    const fd = this.readFd(seg.path);
    const first = startBlock(seg, Math.max(fromSeq, seg.minSeq));
    const CHUNK = 16 * BLOCK_BYTES;
    const buf = new Uint8Array(CHUNK);
    for (let b = first; b * BLOCK_BYTES < seg.size; b += CHUNK / BLOCK_BYTES) {
      const base = b * BLOCK_BYTES;
      const len = Math.min(CHUNK, seg.size - base);
      const n = this.fs.readSync(fd, buf, 0, len, base);
      const end = base + n;
      for (let k = b; k * BLOCK_BYTES < end; k++) {
        const [s, e] = blockRange(k, end);
        let more = true;
        const bad = decodeBlock(buf, s - base, e - base, (f) => {
          if (!more || f.seq < fromSeq || f.seq <= seg.afterSeq || f.seq > seg.maxSeq) return;
          more = take(this.entry(f.seq, f.timeMs, f.kind, buf.slice(f.payloadStart, f.payloadEnd)));
        });
        if (bad && !seg.badBlocks.has(k) && e === Math.min((k + 1) * BLOCK_BYTES, seg.size)) {
          // bit rot since the spool was opened: never deliver it, report it once
          seg.badBlocks.add(k);
          this.reportCorrupt({ seg, block: k, offset: bad.offset + base, bytes: bad.end - bad.offset, reason: bad.reason, prevSeq: seg.blockFirst[k] || 0, prevTimeMs: seg.minTimeMs, nextSeq: seg.blockFirst[k + 1] || 0, nextTimeMs: seg.maxTimeMs });
          this.pendingRepairs.push(seg);
        }
        if (!more) return false;
      }
    }
    return true;
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

  stats(): SpoolStats {
    let data = 0;
    let gaps = 0;
    let gapLost = 0;
    let oldest: SpoolEntry | null = null;
    let newest: SpoolEntry | null = null;
    let from = this.acked + 1;
    for (;;) {
      const batch = this.read(from, 4096);
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.kind === 'gap') {
          gaps++;
          gapLost += e.gap?.lost ?? 0;
        } else data++;
      }
      oldest ??= batch[0]!;
      newest = batch[batch.length - 1]!;
      from = newest.seq + 1;
    }
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
    if (this.active) this.closeQuietly(this.active.fd);
    this.active = null;
    for (const p of [...this.readFds.keys()]) this.closeReadFd(p);
    this.unlock();
  }
}

function describeOp(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e.syscall ?? 'write'}${e.path ? ` ${e.path}` : ''}`;
}
