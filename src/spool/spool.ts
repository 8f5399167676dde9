import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import { systemClock } from '../base/clock.js';
import { MAX_PAYLOAD } from './constants.js';
import { Committer } from './commit.js';
import { StorageHealth } from './fault.js';
import { realFs, type SpoolFs } from './fs.js';
import { Losses, type LossEvent } from './losses.js';
import { Maintenance } from './maintenance.js';
import { resolveOptions, type ResolvedOptions, type SpoolOptions } from './options.js';
import { entryOf, type SpoolEntry } from './reader.js';
import { bitRotRegion, collector, SegmentReads } from './reads.js';
import { MemoryRing } from './ring.js';
import { startUp } from './startup.js';
import { SpoolState } from './state.js';
import { spoolStats, type SpoolStats } from './stats.js';
import { SegmentWriter } from './writer.js';

export type { SpoolEntry, SpoolStats, LossEvent };

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
 *
 * The parts: startup.ts (open and recovery), ring.ts (records waiting in memory), commit.ts
 * (the one commit routine), maintenance.ts (cursor, deletion, repair, capacity), reads.ts,
 * losses.ts (loss accounting and gap markers), state.ts (what they share). read-only.ts opens a
 * spool for reading only.
 */
export class Spool extends EventEmitter {
  private readonly o: ResolvedOptions;
  private readonly fs: SpoolFs;
  private readonly log: Logger;
  private readonly status: StatusBoard | undefined;
  private readonly st: SpoolState;
  private readonly losses: Losses;
  private readonly writer: SegmentWriter;
  private readonly reads: SegmentReads;
  private readonly maintenance: Maintenance;
  private readonly committer: Committer;
  private unlock: () => void = () => {};

  private constructor(opts: SpoolOptions) {
    super();
    const o = (this.o = resolveOptions(opts));
    const fs = (this.fs = opts.fs ?? realFs);
    const log = (this.log = opts.log ?? silentLogger());
    const status = (this.status = opts.status);
    const losses = (this.losses = new Losses(this, log));
    const health = new StorageHealth(log, status, this, o.retryMinMs, o.retryMaxMs);
    this.st = new SpoolState(new MemoryRing(o.ringBytes, (r) => losses.lose(r, 'ring')), health);
    const writer = (this.writer = new SegmentWriter(fs, o.dir, o.segmentBytes));
    const reads = (this.reads = new SegmentReads(fs));
    const clock = opts.clock ?? systemClock;
    this.maintenance = new Maintenance(this.st, { o, fs, clock, log, status, writer, reads, losses, commit: () => void this.committer.commit() });
    this.committer = new Committer(this.st, { o, fs, writer, losses, maintenance: this.maintenance, status, events: this });
  }

  /**
   * Opens (creating if needed) the spool in opts.dir and recovers it: verifies every frame,
   * cuts a torn tail, reports and repairs corrupt blocks with a gap marker. Throws only when
   * the directory cannot be listed or holds another spool's segments; write failures during
   * recovery put the spool in storage-fault mode instead. For reading only, see ReadOnlySpool.
   */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const s = new Spool(opts);
    const { unlock, repairs } = startUp(s.st, { fs: s.fs, dir: s.o.dir, log: s.log, writer: s.writer, losses: s.losses });
    s.unlock = unlock;
    try {
      s.maintenance.recovered(repairs);
      // Make the new lease and any gap markers durable now, then repair corrupt segments.
      if (s.st.health.fault === null) await s.committer.flush();
      else s.committer.scheduleRetry(s.o.retryMinMs);
    } catch (err) {
      unlock();
      throw err;
    }
    const total = s.st.segments.reduce((n, g) => n + g.records, 0);
    s.log.info(`spool: ${s.o.dir}: ${total} records in ${s.st.segments.length} segments, acked ${s.st.acked}, next seq ${s.st.next}`);
    s.status?.setBacklog(s.backlog);
    return s;
  }

  /** Random id of this spool (32 hex digits), created with it and persisted: a wiped card gets a new one. */
  get spoolId(): string {
    return this.st.id;
  }

  /** Records not yet acknowledged (on disk and in memory); O(1), published to the StatusBoard after every append. */
  get backlog(): number {
    return this.st.backlog;
  }

  get nextSeq(): number {
    return this.st.next;
  }
  /**
   * The highest seq the link may send: durable records, and while storage fails, records held
   * in memory whose seqs the durable lease covers (so a truck with a dead card still reports).
   * Advances emit 'commit'(seq); durable commits also emit 'durable'(seq).
   */
  get committedSeq(): number {
    return Math.max(this.st.committed, this.st.readableRingTop);
  }
  /** The highest seq durable on the card (everything up to it survives a power cut). */
  get durableSeq(): number {
    return this.st.committed;
  }
  get ackedSeq(): number {
    return this.st.acked;
  }
  /** the newest seq handed out */
  get headSeq(): number {
    return this.st.next - 1;
  }
  get fault(): string | null {
    return this.st.health.fault;
  }
  get dir(): string {
    return this.o.dir;
  }

  /**
   * Appends one encoded record; returns its seq. It becomes durable at the next group commit
   * (or before returning, with fsync 'always'). Never throws for storage trouble: the record
   * is held in memory and the disk retried. Throws RangeError for an oversized payload or a
   * bad time, and Error after close().
   */
  append(payload: Uint8Array, timeMs: number): number {
    const { st } = this;
    if (st.closed) throw new Error('spool is closed');
    if (payload.length > MAX_PAYLOAD) throw new RangeError(`spool: payload of ${payload.length} bytes exceeds the maximum of ${MAX_PAYLOAD}`);
    if (!Number.isSafeInteger(timeMs)) throw new RangeError(`spool: timeMs must be an integer, got ${timeMs}`);
    const seq = st.next++;
    st.ring.push({ seq, timeMs, kind: 'data', payload: payload.slice() }); // the caller may reuse its buffer
    st.stat.payloadBytes += payload.length;
    this.status?.setBacklog(st.backlog);
    this.committer.afterAppend();
    return seq;
  }

  /** Commits now: resolves when everything appended before the call is durable (or storage failed). */
  flush(): Promise<void> {
    return this.committer.flush();
  }

  /** Cumulative acknowledgement: every record with seq <= seq was stored by the server. */
  ack(seq: number): void {
    if (!Number.isSafeInteger(seq)) throw new RangeError(`spool: ack seq must be an integer, got ${seq}`);
    this.maintenance.ack(Math.min(seq, this.committedSeq));
  }

  /**
   * Up to maxCount entries (and about maxBytes of payload) with seq >= fromSeq, in seq order:
   * durable records and gap markers, plus memory-held ones while storage fails. A frame that
   * fails its CRC is never returned (it is counted and reported instead).
   */
  read(fromSeq: number, maxCount: number, maxBytes = Infinity): SpoolEntry[] {
    const { st } = this;
    const { out, take } = collector(maxCount, maxBytes);
    if (maxCount <= 0) return out;
    fromSeq = Math.max(fromSeq, st.acked + 1); // acknowledged records are gone, even if not yet deleted
    const all = this.reads.walk(
      st.segments,
      fromSeq,
      take,
      (seg, c) => {
        // bit rot since the spool was opened: never delivered, reported once, repaired
        this.losses.corrupt(bitRotRegion(seg, c));
        this.maintenance.repairLater(seg);
      },
      // an unreadable card must not take the link down: report it, deliver what was read
      (seg, err) => this.committer.scheduleRetry(st.health.fail(`read ${seg.path}`, err)), // a good commit clears it
    );
    if (all && st.health.fault !== null) {
      for (const r of st.ring.records) {
        if (r.seq < fromSeq || r.seq >= st.lease || r.seq <= st.committed) continue;
        if (!take(entryOf(r.seq, r.timeMs, r.kind, r.payload))) break;
      }
    }
    return out;
  }

  /** Counts by reading every unacknowledged record: O(records), for the CLI and tests (see backlog). */
  stats(): SpoolStats {
    const { st } = this;
    return spoolStats({
      spoolId: st.id, dir: this.o.dir, read: (from, max) => this.read(from, max), acked: st.acked, committed: st.committed, next: st.next,
      segments: st.segments, totals: this.losses.totals, unreadable: st.ring.records.filter((r) => st.health.fault === null || r.seq >= st.lease).length,
      pending: st.ring.length + st.inflight.length, stat: st.stat, fault: st.health.fault,
    });
  }

  /** Commits what is waiting, writes the cursor (lease = next seq, so seqs stay dense) and closes files. */
  async close(): Promise<void> {
    const { st } = this;
    if (st.closed) return;
    await this.flush();
    st.closed = true;
    this.committer.stop();
    this.maintenance.stop();
    if (st.health.fault === null && st.ring.length === 0) {
      try {
        await this.maintenance.closing();
      } catch (err) {
        st.health.fail('close', err);
      }
    }
    if (st.ring.length > 0) this.log.error(`spool: closing with ${st.ring.length} records not on disk (storage fault: ${st.health.fault})`);
    this.writer.detach();
    this.reads.closeAll();
    this.unlock();
  }
}
