import type { Logger } from '../../base/log.js';
import type { TrackFormat } from '../formats/index.js';
import type { ColumnName } from '../store/columns.js';
import type { TripSegment } from '../trips.js';
import type { TrackReads } from './track-reads.js';
import { WINDOW, type Channel, type ReaderMessage, type ServerMessage } from './wire.js';

/** A reader process as the pool drives it (a ChildProcess with an IPC channel). */
export interface ReaderProcess extends Channel<ReaderMessage, ServerMessage> {
  readonly pid?: number | undefined;
  on(event: 'message', f: (m: ReaderMessage) => void): unknown;
  once(event: 'exit', f: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  /** A failed spawn, or a send on a closed channel (the exit follows). */
  on(event: 'error', f: (err: Error) => void): unknown;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface ReaderPoolOptions {
  /** The database the readers open read-only (a SQLite file or a postgres:// URL). */
  db: string;
  /** Reader processes to keep (at least 1). */
  processes: number;
  spawn: () => ReaderProcess;
  log: Logger;
  /** Reads while no reader is up (the ingest process's own store). */
  fallback: TrackReads;
  /** A reader that has not opened its database in this long is killed (default 30 s). */
  startTimeoutMs?: number;
  /** First wait before a reader that died is started again; doubled on each death in a row, up to 5 min (default 1 s). */
  restartDelayMs?: number;
}

/** Reads served so far, by where they ran. */
export interface ReadCounters {
  inReaders: number;
  /** In the ingest process: no reader was up. */
  inProcess: number;
  /** Readers that exited unasked (each was started again). */
  readerExits: number;
}

interface Waiter {
  /** A message for this request; returns false when the request is over. */
  take(m: ReaderMessage): boolean;
  /** The reader is gone. */
  lost(err: Error): void;
}

/** A document's chunks as they arrive: at most WINDOW wait here (the reader's credit). */
class ChunkQueue implements Waiter {
  private readonly chunks: string[] = [];
  private end: Error | null | undefined;
  private wake: (() => void) | null = null;

  take(m: ReaderMessage): boolean {
    if (m.t === 'chunk') {
      if (this.chunks.length >= WINDOW) this.end = new Error(`track reader sent more than ${WINDOW} chunks ahead`);
      else this.chunks.push(m.text);
    } else if (m.t === 'end') this.end = null;
    else this.end = new Error(m.t === 'fail' ? m.message : `track reader answered a document with '${m.t}'`);
    this.notify();
    return this.end === undefined;
  }

  lost(err: Error): void {
    if (this.end === undefined) this.end = err;
    this.notify();
  }

  /** The next chunk, or null at the document's end; throws what ended it otherwise. */
  async next(): Promise<string | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c !== undefined) return c;
      if (this.end === null) return null;
      if (this.end) throw this.end;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** One reader process and the requests it is answering. */
class Reader {
  readonly waiters = new Map<number, Waiter>();
  ready = false;
  gone = false;
  readonly opened: Promise<void>;

  constructor(
    readonly proc: ReaderProcess,
    db: string,
    startTimeoutMs: number,
    onExit: (r: Reader, why: string, cut: number) => void,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error(`did not open the database in ${startTimeoutMs / 1000} s`));
        proc.kill('SIGKILL');
      }, startTimeoutMs);
      proc.on('message', (m) => {
        if (m.t === 'ready') {
          clearTimeout(t);
          this.ready = true;
          resolve();
        } else if (m.t === 'unavailable') {
          clearTimeout(t);
          reject(new Error(m.message));
        } else if ('id' in m) {
          const w = this.waiters.get(m.id);
          if (w && !w.take(m)) this.waiters.delete(m.id);
        }
      });
      const die = (why: string) => {
        if (this.gone) return;
        clearTimeout(t);
        this.gone = true;
        this.ready = false;
        reject(new Error(why));
        const err = new Error(why);
        const cut = this.waiters.size;
        for (const w of this.waiters.values()) w.lost(err);
        this.waiters.clear();
        onExit(this, why, cut);
      };
      const name = () => `track reader${proc.pid ? ` (pid ${proc.pid})` : ''}`;
      proc.once('exit', (code, signal) => die(`${name()} exited (${signal ?? `code ${code}`})`));
      // No pid: it never started (and may never emit 'exit'). Otherwise the exit follows.
      proc.on('error', (err) => {
        if (proc.pid === undefined) die(`${name()} could not be started: ${err.message}`);
      });
    });
    this.opened.catch(() => {});
    proc.send({ t: 'open', db });
  }
}

/**
 * The HTTP API's long reads in reader processes (`geostream server reader`), each with
 * its own read-only connection to the database: reading and writing out a day's track
 * then costs the ingest event loop only the copying of its chunks to the socket. A
 * request goes to the reader with the fewest requests; while none is up (starting, or
 * restarting after a crash) reads run in this process (`fallback`), so a request is
 * never refused for want of a reader. A reader that exits is started again after a
 * delay that doubles while they keep dying; its requests fail (a cut transfer, as for
 * a database error) and the next ones go elsewhere.
 */
export class ReaderPool implements TrackReads {
  readonly counters: ReadCounters = { inReaders: 0, inProcess: 0, readerExits: 0 };
  private readonly readers = new Set<Reader>();
  private nextId = 1;
  private closing = false;
  private deathsInRow = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ReaderPoolOptions) {}

  /** Starts the readers; resolves when each has opened the database or failed to (then reads stay in this process, logged). */
  async start(): Promise<void> {
    const n = Math.max(1, Math.floor(this.o.processes));
    await Promise.all(Array.from({ length: n }, () => this.startOne()));
  }

  /** Reader processes up now. */
  get ready(): number {
    let n = 0;
    for (const r of this.readers) if (r.ready) n++;
    return n;
  }

  private async startOne(): Promise<void> {
    const r = new Reader(this.o.spawn(), this.o.db, this.o.startTimeoutMs ?? 30_000, (dead, why, cut) => this.exited(dead, why, cut));
    this.readers.add(r);
    try {
      await r.opened;
      this.deathsInRow = 0;
    } catch (err) {
      if (!r.gone) r.proc.kill('SIGKILL');
      if (!this.closing) this.o.log.warn(`track reader not started, reads run in the ingest process until one is: ${(err as Error).message}`);
    }
  }

  private exited(r: Reader, why: string, cut: number): void {
    this.readers.delete(r);
    if (this.closing) return;
    this.counters.readerExits++;
    const delay = Math.min(300_000, (this.o.restartDelayMs ?? 1000) * 2 ** Math.min(this.deathsInRow++, 20));
    this.o.log.warn(`${why}${cut ? `, cutting ${cut} read${cut === 1 ? '' : 's'}` : ''}; starting another in ${(delay / 1000).toFixed(0)} s`);
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      // every reader missing by now, however many died while this waited
      for (let n = this.readers.size; !this.closing && n < this.o.processes; n++) void this.startOne();
    }, delay);
    this.restartTimer.unref();
  }

  /** The ready reader with the fewest requests, or null. */
  private pick(): Reader | null {
    let best: Reader | null = null;
    for (const r of this.readers) if (r.ready && (!best || r.waiters.size < best.waiters.size)) best = r;
    return best;
  }

  async *document(device: string, fromMs: number, toMs: number, format: TrackFormat, columns?: readonly ColumnName[]): AsyncGenerator<string> {
    const r = this.pick();
    if (!r) {
      this.counters.inProcess++;
      yield* this.o.fallback.document(device, fromMs, toMs, format, columns);
      return;
    }
    this.counters.inReaders++;
    const id = this.nextId++;
    const q = new ChunkQueue();
    r.waiters.set(id, q);
    r.proc.send({ t: 'document', id, device, fromMs, toMs, format, ...(columns ? { columns } : {}) });
    let done = false;
    try {
      for (;;) {
        const text = await q.next();
        if (text === null) {
          done = true;
          return;
        }
        yield text;
        if (!r.gone) r.proc.send({ t: 'more', id });
      }
    } finally {
      r.waiters.delete(id);
      if (!done && !r.gone) r.proc.send({ t: 'cancel', id });
    }
  }

  trips(device: string, fromMs: number, toMs: number): Promise<TripSegment[]> {
    const r = this.pick();
    if (!r) {
      this.counters.inProcess++;
      return this.o.fallback.trips(device, fromMs, toMs);
    }
    this.counters.inReaders++;
    const id = this.nextId++;
    return new Promise<TripSegment[]>((resolve, reject) => {
      r.waiters.set(id, {
        take(m) {
          if (m.t === 'trips') resolve(m.segments);
          else reject(new Error(m.t === 'fail' ? m.message : `track reader answered trips with '${m.t}'`));
          return false;
        },
        lost: reject,
      });
      r.proc.send({ t: 'trips', id, device, fromMs, toMs });
    });
  }

  /** Stops every reader (SIGTERM; SIGKILL after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await Promise.all(
      [...this.readers].map(
        (r) =>
          new Promise<void>((resolve) => {
            if (r.gone) return resolve();
            const t = setTimeout(() => r.proc.kill('SIGKILL'), graceMs);
            r.proc.once('exit', () => (clearTimeout(t), resolve()));
            r.proc.kill('SIGTERM');
          }),
      ),
    );
  }
}
