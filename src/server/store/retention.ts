import type Database from 'better-sqlite3';

export interface RetentionOptions {
  /** Rows older than this many days (by fix time) are removed. */
  keepDays: number;
  /** Most rows removed per step (one short transaction). Default 500. */
  batchRows?: number;
  clock?: () => number;
}

export interface RetentionTotals {
  records: number;
  gaps: number;
  linkEvents: number;
  steps: number;
  /** Longest step (ms): the event loop and the database's write lock are held that long. */
  maxStepMs: number;
}

/** What one transaction of a step removed. */
export interface Removed {
  records: number;
  gaps: number;
  linkEvents: number;
}

/** The database side of retention (SQLite here, PostgreSQL in pg/retention.ts). */
export interface RetentionTarget {
  /** Every vehicle, by name. */
  devices(): Promise<string[]>;
  /**
   * In ONE short transaction, removes up to `n` rows of `device` from before `cutoff`:
   * records (never the vehicle's newest position), then gap markers (both ends before
   * it), then link events (by server time), each taking what the earlier left of `n`.
   */
  removeOld(device: string, cutoff: number, n: number): Promise<Removed>;
}

const DAY_MS = 86_400_000;
/** Clean vehicles a step may look at before it returns (each is one index probe). */
const PROBES_PER_STEP = 64;

/**
 * Removes records, gap markers and link events (by server time) older than keepDays, a
 * small batch per step, one vehicle at a time through its (device, time) indexes: no scan of the table and no
 * long transaction, so ingest's group commits run between any two steps. The newest
 * position of each vehicle is kept however old (a vehicle parked for longer still shows
 * where it is). Counters in `devices` count what was ever stored and are not lowered.
 */
export class Retention {
  readonly totals: RetentionTotals = { records: 0, gaps: 0, linkEvents: 0, steps: 0, maxStepMs: 0 };
  private readonly batch: number;
  private readonly clock: () => number;
  /** Vehicles still to visit in this pass (a pass ends when every one is clean). */
  private queue: string[] = [];

  constructor(
    private readonly target: RetentionTarget,
    private readonly o: RetentionOptions,
  ) {
    if (!(o.keepDays > 0)) throw new Error(`keepDays must be above 0, got ${o.keepDays}`);
    this.batch = Math.max(1, Math.floor(o.batchRows ?? 500));
    this.clock = o.clock ?? Date.now;
  }

  /** The oldest fix time kept (a whole ms: times are whole ms, so `< cutoff` means the same). */
  cutoff(): number {
    return Math.ceil(this.clock() - this.o.keepDays * DAY_MS);
  }

  /** True when the last step ended a pass: every vehicle was clean at its visit. */
  get passDone(): boolean {
    return this.queue.length === 0;
  }

  /**
   * One step: up to batchRows rows of one vehicle in one transaction (and at most
   * PROBES_PER_STEP vehicles looked at). Returns the rows removed.
   */
  async step(): Promise<number> {
    const t0 = performance.now();
    const cutoff = this.cutoff();
    if (this.queue.length === 0) this.queue = await this.target.devices();
    let removed = 0;
    for (let probes = 0; this.queue.length > 0 && removed === 0 && probes < PROBES_PER_STEP; probes++) {
      const device = this.queue[0]!;
      const r = await this.target.removeOld(device, cutoff, this.batch);
      this.totals.records += r.records;
      this.totals.gaps += r.gaps;
      this.totals.linkEvents += r.linkEvents;
      const n = r.records + r.gaps + r.linkEvents;
      // This vehicle is clean when a step removes less than a batch.
      if (n < this.batch) this.queue.shift();
      removed = n;
    }
    this.totals.steps++;
    this.totals.maxStepMs = Math.max(this.totals.maxStepMs, performance.now() - t0);
    return removed;
  }
}

/** Retention's statements on a SQLite ingest database. */
export class SqliteRetention implements RetentionTarget {
  private readonly listDevices: Database.Statement;
  private readonly delRecords: Database.Statement;
  private readonly delGaps: Database.Statement;
  private readonly delEvents: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.listDevices = db.prepare('SELECT device FROM devices ORDER BY device').pluck();
    this.delRecords = db.prepare(`DELETE FROM records WHERE device = @device AND (spool, seq) IN (
      SELECT r.spool, r.seq FROM records r LEFT JOIN devices d ON d.device = r.device
      WHERE r.device = @device AND r.time_ms < @cutoff AND NOT (r.spool IS d.pos_spool AND r.seq IS d.pos_seq) LIMIT @n)`);
    this.delGaps = db.prepare(`DELETE FROM gaps WHERE device = @device AND (spool, seq) IN (
      SELECT spool, seq FROM gaps WHERE device = @device AND from_time_ms < @cutoff AND to_time_ms < @cutoff LIMIT @n)`);
    this.delEvents = db.prepare('DELETE FROM link_events WHERE device = @device AND n IN (SELECT n FROM link_events WHERE device = @device AND at_ms < @cutoff LIMIT @n)');
  }

  devices(): Promise<string[]> {
    return Promise.resolve(this.listDevices.all() as string[]);
  }

  removeOld(device: string, cutoff: number, n: number): Promise<Removed> {
    return Promise.resolve(this.withoutFsync(() => {
      const records = this.delRecords.run({ device, cutoff, n }).changes;
      const gaps = records < n ? this.delGaps.run({ device, cutoff, n: n - records }).changes : 0;
      const linkEvents = records + gaps < n ? this.delEvents.run({ device, cutoff, n: n - records - gaps }).changes : 0;
      return { records, gaps, linkEvents };
    }));
  }

  /**
   * Runs `fn` in a transaction committed without its own fsync (synchronous=NORMAL for
   * this one COMMIT, in WAL mode): a delete lost to a power cut is simply redone at the
   * next pass, and the next ingest COMMIT (synchronous=FULL) fsyncs the WAL with it, in
   * order. Ingest's commits keep their fsync; retention costs them none of their own.
   */
  private withoutFsync<T>(fn: () => T): T {
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.db.transaction(fn)();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }
}

/**
 * Runs retention steps in the background: back to back with `busyMs` between them (the
 * event loop, and so ingest, runs in between) while a pass is under way, then one pass
 * every `idleMs`. One step at a time. Returns a function that stops it; its promise
 * resolves when a step under way has finished (so the database can be closed then).
 */
export function scheduleRetention(r: Retention, opts: { idleMs?: number; busyMs?: number; onError?: (err: Error) => void } = {}): () => Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const next = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    timer = null;
    if (stopped) return;
    running = r.step().then(
      () => {},
      (err: unknown) => opts.onError?.(err as Error),
    ).then(() => {
      if (!stopped) next(r.passDone ? (opts.idleMs ?? 60_000) : (opts.busyMs ?? 10));
    });
  };
  next(opts.busyMs ?? 10);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    return running;
  };
}
