import type { EventEmitter } from 'node:events';
import type { StatusBoard } from '../base/status-board.js';
import { planCapacity, type CapacityPlan } from './capacity.js';
import { fsyncDir, type SpoolFs } from './fs.js';
import { encodeGap, type SpoolGap } from './gap.js';
import type { Losses } from './losses.js';
import type { Maintenance } from './maintenance.js';
import type { ResolvedOptions } from './options.js';
import type { Rec } from './rewrite.js';
import { indexFrame } from './segment-info.js';
import type { SpoolState, WriteCounters } from './state.js';
import type { SegmentWriter, WriteResult } from './writer.js';

export interface CommitDeps {
  o: ResolvedOptions;
  fs: SpoolFs;
  writer: SegmentWriter;
  losses: Losses;
  maintenance: Maintenance;
  status: StatusBoard | undefined;
  /** the spool: 'commit' and 'durable' are emitted on it */
  events: EventEmitter;
}

/** One commit: the records, what writing them left to make durable, and the capacity plan to run after. */
interface Prepared {
  batch: Rec[];
  w: WriteResult;
  plans: CapacityPlan[];
}

/** One step that makes a written batch durable: fdatasync of a segment, or fsync of the directory (a segment was created). */
type DurableStep = { fd: number } | { dir: string };

/**
 * The commit routine, one code path for the group commit (a timer or commitBytes waiting,
 * fsyncs awaited on the thread pool) and fsync 'always' (synchronously inside append): both
 * run the same batch steps and differ only in how each fsync is carried out. Also the retry
 * after a storage fault.
 */
export class Committer {
  private committing: Promise<void> | null = null;
  private again = false;
  private inSync = false;
  private commitTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly st: SpoolState,
    private readonly d: CommitDeps,
  ) {}

  /** After an append (or a retry that found records waiting): commit now, or arm the group commit timer. */
  afterAppend(): void {
    const { st, d } = this;
    if (st.closed) return;
    if (st.health.fault !== null) {
      this.announceRing();
      return;
    }
    if (d.o.fsync === 'always') {
      // Durable before append returns. An async commit in flight is only cursor maintenance
      // (nothing inflight), which does not touch the segment writer; else the record joins it.
      if (!this.inSync && st.inflight.length === 0) this.commitSync();
      return;
    }
    if (st.ring.bytes >= d.o.commitBytes) void this.commit();
    else if (this.commitTimer === null && this.committing === null) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = null;
        void this.commit();
      }, d.o.commitIntervalMs);
      this.commitTimer.unref();
    }
  }

  /** Commits now (cursor included): resolves when everything appended before the call is durable (or storage failed). */
  flush(): Promise<void> {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    this.d.maintenance.cursorNow();
    return this.commit();
  }

  /** The group commit: one at a time; a call while one runs makes it go round again. */
  commit(): Promise<void> {
    const { st } = this;
    if (this.committing) {
      this.again = true;
      return this.committing;
    }
    this.committing = (async () => {
      try {
        do {
          this.again = false;
          await this.commitOnce();
        } while (this.again && st.health.fault === null);
      } finally {
        this.committing = null;
      }
      if (st.ring.length > 0 && st.health.fault === null && !st.closed) this.afterAppend();
    })();
    return this.committing;
  }

  /** Retries the disk after ms (one retry armed at a time). */
  scheduleRetry(ms: number): void {
    if (this.retryTimer || this.st.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.commit().then(() => {
        if (this.st.health.fault !== null) return;
        if (this.st.ring.length) this.afterAppend();
      });
    }, ms);
    this.retryTimer.unref();
  }

  stop(): void {
    for (const t of [this.commitTimer, this.retryTimer]) if (t) clearTimeout(t);
  }

  private async commitOnce(): Promise<void> {
    try {
      const steps = this.batch();
      for (let s = steps.next(); !s.done; s = steps.next()) {
        const step = s.value;
        if ('fd' in step) await this.d.fs.fdatasync(step.fd);
        else await fsyncDir(this.d.fs, step.dir);
        this.st.stat.fsyncs++;
      }
      await this.d.maintenance.run();
    } catch (err) {
      this.failed(err);
    }
  }

  /** fsync 'always': the same batch steps, synchronously, inside append(). */
  private commitSync(): void {
    const { st, d } = this;
    this.inSync = true;
    try {
      while (st.ring.length > 0 && st.health.fault === null) {
        try {
          const steps = this.batch();
          let s = steps.next();
          for (; !s.done; s = steps.next()) fsyncStepSync(d.fs, s.value, st.stat);
          if (!s.value) break;
        } catch (err) {
          this.failed(err);
        }
      }
    } finally {
      this.inSync = false;
    }
    if (d.maintenance.needed()) void this.commit();
  }

  /**
   * The steps of one batch: take what waits, write it, yield each step that makes it durable
   * to the caller (which carries it out), then publish it. Returns false when nothing waited.
   */
  private *batch(): Generator<DurableStep, boolean, void> {
    const prep = this.prepare();
    if (!prep) return false;
    for (const fd of prep.w.fds) yield { fd };
    if (prep.w.syncDir) yield { dir: this.d.o.dir };
    this.finish(prep);
    return true;
  }

  /**
   * Takes the waiting records, plans capacity, and writes the frames (page cache only).
   * Gap markers for what the capacity plan removes are written in this same batch, before the
   * plan runs: a crash in between over-reports a loss, it never hides one.
   */
  private prepare(): Prepared | null {
    const { st, d } = this;
    d.losses.takeGaps((g) => st.ring.push(this.gapRecord(g)));
    if (st.ring.length === 0) return null;
    const batch = st.ring.take();
    st.inflight = batch;
    const incoming = batch.reduce((n, r) => n + r.payload.length + 8, 0);
    const plans = planCapacity({
      segments: st.segments,
      active: d.writer.segment,
      acked: st.acked,
      capacityBytes: d.o.capacityBytes,
      incoming,
      spoolId: st.id,
      readFile: (path) => d.fs.readFileSync(path),
      lose: (r, reason) => d.losses.lose(r, reason),
    });
    if (plans.length > 0) d.losses.takeGaps((g) => batch.push(this.gapRecord(g)));
    const w = d.writer.write(batch, st.id, st.committed, (seg) => {
      // a file of the same name can only be an abandoned segment that holds nothing durable
      st.segments = [...st.segments.filter((x) => x.path !== seg.path), seg];
    });
    return { batch, w, plans };
  }

  private gapRecord(g: SpoolGap): Rec {
    return { seq: this.st.next++, timeMs: g.toTimeMs, kind: 'gap', payload: encodeGap(g) };
  }

  private finish(prep: Prepared): void {
    const { st, d } = this;
    for (const ix of prep.w.index) indexFrame(ix.seg, ix);
    st.indexChanged();
    for (const [seg, size] of prep.w.sizes) seg.size = size;
    d.writer.committed();
    st.inflight = [];
    st.committed = prep.batch[prep.batch.length - 1]!.seq;
    st.stat.bytesWritten += prep.w.bytes;
    st.stat.commits++;
    st.health.ok();
    d.status?.setBacklog(st.backlog);
    d.events.emit('durable', st.committed);
    d.events.emit('commit', st.committed);
    d.maintenance.runPlans(prep.plans);
  }

  /**
   * A write or fsync failed. Nothing of this batch counts as durable: the active segment is
   * abandoned (its durable part stays readable) and the records go back to memory, to be
   * written into a fresh segment when the disk works again.
   */
  private failed(err: unknown): void {
    const { st, d } = this;
    if (st.inflight.length) {
      const back = st.inflight;
      st.inflight = [];
      st.ring.requeue(back);
    }
    const abandoned = d.writer.abandon();
    if (abandoned && abandoned.records === 0) st.segments = st.segments.filter((s) => s !== abandoned);
    this.scheduleRetry(st.health.fail(describeOp(err), err));
    this.announceRing();
  }

  /** While storage fails, what waits in memory is sendable (committedSeq covers it): tell the link. */
  private announceRing(): void {
    const top = this.st.readableRingTop;
    if (top > this.st.committed) this.d.events.emit('commit', top);
  }
}

function fsyncStepSync(fs: SpoolFs, step: DurableStep, stat: WriteCounters): void {
  if ('fd' in step) fs.fsyncSync(step.fd);
  else {
    const fd = fs.openSync(step.dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  stat.fsyncs++;
}

function describeOp(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e.syscall ?? 'write'}${e.path ? ` ${e.path}` : ''}`;
}
