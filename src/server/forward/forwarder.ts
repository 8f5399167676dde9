import type { Logger } from '../../base/log.js';
import { StateLog } from '../../base/log.js';
import { gapProperties, positionProperties } from '../formats/geojson.js';
import type { TrackItem } from '../store/query.js';
import { backoffMs } from './backoff.js';
import type { ForwardOutbox, OutboxEntry } from './outbox.js';

export interface ForwarderOptions {
  url: string;
  outbox: ForwardOutbox;
  /** Called with a listener for each COMMIT (the store's onCommit): wakes the forwarder. */
  subscribe: (listener: () => void) => () => void;
  log: Logger;
  /** Records per POST (default 500). */
  batchRecords?: number;
  /** One POST may take this long (default 10 s). */
  timeoutMs?: number;
  /** First retry delay and the longest (default 1 s, 60 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a process on standby (another one holds the outbox) tries to take over (default 5 s). */
  standbyMs?: number;
  random?: () => number;
  /** The timers the retry waits and the POST timeout run on (default: the global ones). */
  timers?: Timers;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ForwarderCounters {
  batches: number;
  records: number;
  failures: number;
}

/** The outbox as the forwarder reports it. */
export interface OutboxReport {
  /** Rows waiting for the receiver. */
  pending: number;
  maxRows: number;
  /** Rows that left undelivered, ever: pushed out by the bound (an upper bound: a row in a POST that then succeeded may be among them) or removed by retention first. Durable. */
  dropped: number;
}

/** The idempotency key of a stored item: the same record always has the same key. */
export const keyOf = (i: TrackItem) => `${i.device}/${i.spool}/${i.seq}`;

/**
 * The JSON body of one POST: `records`, `gaps`, and `outboxDropped`, the records this
 * server's outbox ever had to drop undelivered (it only grows; a receiver that sees it
 * grow knows it missed that many).
 */
export function batchBody(entries: readonly OutboxEntry[], outboxDropped = 0): string {
  const records: Record<string, unknown>[] = [];
  const gaps: Record<string, unknown>[] = [];
  for (const { item } of entries) {
    if (item === null) continue;
    if (item.kind === 'gap') gaps.push({ key: keyOf(item), ...gapProperties(item) });
    else records.push({ key: keyOf(item), ...positionProperties(item) });
  }
  return JSON.stringify({ records, gaps, outboxDropped });
}

/**
 * Forwards what the store commits to a webhook: POSTs of JSON batches in commit
 * order, at least once. A batch leaves the outbox only after a 2xx; a failure
 * (network, timeout, any other status) is retried with backoff, the same records
 * again, each with its key `vehicle/spool/seq` so the receiver can drop repeats.
 * Ingest never waits for it: the outbox rows are written by the ingest transaction
 * itself, and the forwarder only reads them in pages between commits.
 */
export class Forwarder {
  private readonly batch: number;
  private running = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private timer: unknown = null;
  private readonly timers: Timers;
  /** The outbox's dropped count when the receiver started failing (null: not failing). */
  private droppedAtFailure: number | null = null;
  private fullReported = false;
  private readonly unsubscribe: () => void;
  private readonly state: StateLog<string>;
  private failuresInRow = 0;
  private abort: AbortController | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private waiting: 'commit' | 'retry' | 'standby' | null = null;
  private standby = false;
  readonly counters: ForwarderCounters = { batches: 0, records: 0, failures: 0 };

  /** The receiver as logs show it: scheme and host only (a URL's path or user part may hold a secret). */
  private readonly target: string;

  constructor(private readonly o: ForwarderOptions) {
    this.batch = o.batchRecords ?? 500;
    this.timers = o.timers ?? globalTimers;
    const u = new URL(o.url);
    this.target = `${u.protocol}//${u.host}`;
    this.state = new StateLog(o.log, 'forwarding');
    this.unsubscribe = o.subscribe(() => this.wake?.());
  }

  /** What the delivery loop waits for now: the next COMMIT, the retry timer, a turn (standby), or nothing (it is reading or posting). */
  get waitingFor(): 'commit' | 'retry' | 'standby' | null {
    return this.waiting;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    let lastId = 0;
    while (!this.stopped) {
      try {
        if (!(await this.claimed())) {
          await this.sleep(this.o.standbyMs ?? 5000, 'standby');
          continue;
        }
        const entries = await this.o.outbox.next(lastId, this.batch);
        if (entries.length === 0) {
          await this.sleep(null);
          lastId = 0;
          continue;
        }
        const sendable = entries.filter((e) => e.item !== null).length;
        const ok = sendable === 0 || (await this.post(entries));
        if (this.stopped) break;
        if (ok) {
          await this.o.outbox.delivered(entries);
          lastId = entries[entries.length - 1]!.id;
          this.failuresInRow = 0;
          if (sendable > 0) this.counters.batches++;
          this.counters.records += sendable;
          await this.recovered();
          continue;
        }
      } catch (err) {
        // the outbox's database failed (a PostgreSQL server restarting, say): the same as a failed POST
        if (this.stopped) break;
        await this.failed(`outbox: ${(err as Error).message}`);
      }
      this.failuresInRow++;
      this.counters.failures++;
      await this.reportFull().catch(() => undefined);
      await this.sleep(backoffMs(this.failuresInRow, { baseMs: this.o.retryBaseMs ?? 1000, maxMs: this.o.retryMaxMs ?? 60_000 }, this.o.random ?? Math.random), 'retry');
    }
  }

  /** Whether this process forwards now; one line when it goes to standby and when it takes over. */
  private async claimed(): Promise<boolean> {
    const mine = this.o.outbox.claim ? await this.o.outbox.claim() : true;
    if (mine === !this.standby) return mine;
    this.standby = !mine;
    if (mine) this.o.log.info('forwarding: this server now forwards from the shared outbox');
    else this.o.log.info('forwarding on standby: another server forwards from this database; this one takes over when it stops');
    return mine;
  }

  /** What the outbox holds now, and what its bound dropped. */
  async report(): Promise<OutboxReport> {
    return { pending: await this.o.outbox.pending, maxRows: this.o.outbox.maxRows, dropped: await this.o.outbox.dropped };
  }

  /** After a 2xx: one line when delivery resumes, with what waited and what the bound dropped meanwhile. */
  private async recovered(): Promise<void> {
    if (this.state.state === 'delivering') return;
    const since = this.droppedAtFailure;
    this.droppedAtFailure = null;
    this.fullReported = false;
    const r = await this.report();
    const lost = since === null ? 0 : r.dropped - since;
    this.state.set('delivering', `to ${this.target}${since === null ? '' : `; ${r.pending} records still waiting${lost ? `, ${lost} dropped undelivered (outbox bound ${r.maxRows} rows, or removed by retention first)` : ''}`}`, lost ? 'warn' : 'info');
  }

  /** While failing: one line when the outbox reaches its bound (from then on the oldest give way). */
  private async reportFull(): Promise<void> {
    if (this.fullReported) return;
    const r = await this.report();
    if (r.pending < r.maxRows) return;
    this.fullReported = true;
    this.o.log.warn(`forwarding outbox full (${r.maxRows} records): each record stored from now on pushes out the oldest undelivered one, counted in outboxDropped (${r.dropped} so far)`);
  }

  private async post(entries: readonly OutboxEntry[]): Promise<boolean> {
    const body = batchBody(entries, await this.o.outbox.dropped);
    this.abort = new AbortController();
    const t = this.timers.setTimeout(() => this.abort?.abort(), this.o.timeoutMs ?? 10_000);
    try {
      const r = await fetch(this.o.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: this.abort.signal, redirect: 'error' });
      await r.arrayBuffer().catch(() => undefined);
      if (r.status >= 200 && r.status < 300) return true;
      await this.failed(`the receiver answered ${r.status}`);
      return false;
    } catch (err) {
      if (!this.stopped) await this.failed((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
      return false;
    } finally {
      this.timers.clearTimeout(t);
      this.abort = null;
    }
  }

  private async failed(why: string): Promise<void> {
    // the outbox may be what failed: its counts are then left out of the line
    const r = await this.report().catch(() => null);
    if (r) this.droppedAtFailure ??= r.dropped;
    this.state.set('failing', `${this.target}: ${why.slice(0, 200)}; retrying with backoff${r ? `, ${r.pending} records waiting in the outbox` : ''}`, 'warn');
  }

  /** Waits for `ms` (null: for the next COMMIT) or stop(). */
  private sleep(ms: number | null, why: 'retry' | 'standby' = 'retry'): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer !== null) this.timers.clearTimeout(this.timer);
        this.timer = null;
        this.wake = null;
        this.waiting = null;
        resolve();
      };
      this.waiting = ms === null ? 'commit' : why;
      if (ms === null) this.wake = done;
      else this.timer = this.timers.setTimeout(done, ms);
      this.stopWait = done;
    });
  }

  private stopWait: (() => void) | null = null;

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.abort?.abort();
    this.stopWait?.();
    await this.loopDone;
  }
}
