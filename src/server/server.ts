import type { Logger } from '../base/log.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ALPN, DEFAULT_LIMITS, type Limits, type PushedConfig } from '../protocol/messages.js';
import type { QuicEngine, QuicServer } from '../quic/engine.js';
import type { TlsMaterial } from '../tls/material.js';
import { Session } from './session.js';
import type { IngestStore } from './store/ingest.js';
import type { RecordPacker } from '../protocol/packing.js';
import { LogSummary } from '../base/log-summary.js';
import { systemClock } from '../base/clock.js';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_MS } from '../protocol/transport.js';

export interface IngestServerOptions {
  engine: QuicEngine;
  store: IngestStore;
  host: string;
  port: number;
  tls: TlsMaterial;
  log: Logger;
  identify: (der: Uint8Array) => string;
  config?: Partial<PushedConfig>;
  limits?: Limits;
  idleTimeoutMs?: number;
  keepAliveMs?: number;
  /**
   * Group commit window: the first record queued after a COMMIT waits this long for
   * others to join its transaction. Each COMMIT fsyncs (synchronous=FULL, ~5 ms on
   * a VM disk), so committing every event-loop turn would spend the loop on fsync.
   */
  commitDelayMs?: number;
  /** Close connections that send no HELLO within this long (default 10 s). */
  helloTimeoutMs?: number;
  /** Unpackers for PACKED frames (codecBatchPacker in src/telemetry/record-codec.ts). */
  packers?: readonly RecordPacker[];
  /** UDP socket receive/send buffer (default 4 MiB, capped by net.core.rmem_max; 0: kernel default). */
  udpBufferBytes?: number;
  /**
   * Records queued for the next commit beyond which the sessions stop reading their
   * data streams until a commit makes room (default 262,144): memory stays bounded
   * when the database is slower than the fleet, and QUIC flow control holds the
   * devices back (their records wait in their spools).
   */
  maxQueuedRecords?: number;
}

export const DEFAULT_PUSHED_CONFIG: PushedConfig = { batchRecords: 1024, batchBytes: 128 * 1024, windowRecords: 16384 };

export interface ServerCounters {
  connections: number;
  handshakeErrors: number;
  refused: number;
  /** Initials the engine answered with a Retry (address validation). */
  retries: number;
  commits: number;
  committedRecords: number;
  /** Longest COMMIT (ms). With SQLite the event loop is blocked that long (it is synchronous); with PostgreSQL it is the wait for the database. */
  maxCommitMs: number;
  /** COMMITs that took over 100 ms (a slow or contended disk: the UDP socket may overflow meanwhile). */
  slowCommits: number;
  storageErrors: number;
  /** Most records ever waiting for a commit at once. */
  maxQueued: number;
  /** Times the sessions stopped reading because maxQueuedRecords were waiting. */
  throttled: number;
}

export const DEFAULT_MAX_QUEUED_RECORDS = 262_144;

/**
 * `geostream server`: accepts geostream/1.0 connections, one Session each, and
 * commits what they receive in group transactions (one COMMIT for everything that
 * arrived within commitDelayMs of the first record), acking after each COMMIT.
 */
export class IngestServer {
  private quic: QuicServer | null = null;
  private readonly sessions = new Set<Session>();
  private readonly byDevice = new Map<string, Session>();
  private flushTimer: NodeJS.Timeout | null = null;
  private closing = false;
  /** The commit running now (one at a time). */
  private inFlight: Promise<void> | null = null;
  /** Sessions waiting for room in the commit queue: resolved after each commit. */
  private roomWaiters: (() => void)[] = [];
  private roomWait: Promise<void> | null = null;
  readonly counters: ServerCounters = { connections: 0, handshakeErrors: 0, refused: 0, retries: 0, commits: 0, committedRecords: 0, maxCommitMs: 0, slowCommits: 0, storageErrors: 0, maxQueued: 0, throttled: 0 };
  private slowLoggedAt = -Infinity;
  /** Refused handshakes, dropped datagrams and Retries sent, as the journal sees them (counted and summarised: a flood cannot flood the log). */
  private readonly refusalLog: LogSummary;
  private readonly dropLog: LogSummary;
  private readonly retryLog: LogSummary;
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: IngestServerOptions) {
    this.refusalLog = new LogSummary({ emit: (l) => o.log.warn(l), what: 'handshake refused', clock: systemClock });
    this.dropLog = new LogSummary({ emit: (l) => o.log.warn(l), what: 'datagram dropped', clock: systemClock });
    this.retryLog = new LogSummary({ emit: (l) => o.log.info(l), what: 'address validation', clock: systemClock });
  }

  private summaries(): LogSummary[] {
    return [this.refusalLog, this.dropLog, this.retryLog];
  }

  get address(): { host: string; port: number } {
    if (!this.quic) throw new Error('server not listening');
    return this.quic.address;
  }

  /** The UDP socket's buffers as the kernel reports them, when the engine says. */
  get udpBuffers(): { recv: number; send: number } | undefined {
    return this.quic?.udpBuffers;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Vehicles with a live session (HELLO done, not closed yet). */
  onlineDevices(): ReadonlySet<string> {
    return new Set(this.byDevice.keys());
  }

  async start(): Promise<void> {
    const o = this.o;
    const config = { ...DEFAULT_PUSHED_CONFIG, ...o.config };
    const limits = o.limits ?? DEFAULT_LIMITS;
    this.quic = await o.engine.listen({
      host: o.host,
      port: o.port,
      alpn: [ALPN],
      tls: o.tls,
      requireClientCert: true,
      idleTimeoutMs: o.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      keepAliveMs: o.keepAliveMs ?? KEEP_ALIVE_MS,
      ...(o.udpBufferBytes !== undefined ? { udpBufferBytes: o.udpBufferBytes } : {}),
    });
    this.quic.on('handshakeError', (err, from) => {
      this.counters.handshakeErrors++;
      this.refusalLog.note(err.message, `from ${from.host}:${from.port}`);
    });
    this.quic.on('refused', (reason, from) => this.dropLog.note(reason, `from ${from.host}:${from.port}`));
    this.quic.on('retry', (from) => {
      this.counters.retries++;
      this.retryLog.note('Initial answered with a Retry', `from ${from.host}:${from.port}`);
    });
    this.summaryTimer = setInterval(() => {
      for (const l of this.summaries()) l.flush();
    }, 1000).unref();
    const host = {
      store: o.store,
      log: o.log,
      config,
      limits,
      packers: o.packers ?? [],
      helloTimeoutMs: o.helloTimeoutMs ?? 10_000,
      identify: o.identify,
      queued: () => this.scheduleFlush(),
      room: () => this.room(),
      hello: (s: Session) => {
        const d = s.device!;
        const old = this.byDevice.get(d);
        if (old && old !== s) old.close(CloseCode.superseded, 'a newer connection of this device took over');
        this.byDevice.set(d, s);
      },
      gone: (s: Session) => {
        this.sessions.delete(s);
        if (s.device && this.byDevice.get(s.device) === s) this.byDevice.delete(s.device);
        if (s.core.isClosed && s.device === null) this.counters.refused++;
      },
    };
    this.quic.on('connection', (conn) => {
      if (this.closing) {
        void conn.close(CloseCode.shutdown, 'server shutting down').catch(() => {});
        return;
      }
      this.counters.connections++;
      try {
        this.sessions.add(new Session(conn, host));
      } catch (err) {
        o.log.error(`connection setup failed: ${(err as Error).message}`);
        void conn.close(CloseCode.internal, 'internal error').catch(() => {});
      }
    });
  }

  private scheduleFlush(): void {
    const q = this.o.store.queued;
    if (q > this.counters.maxQueued) this.counters.maxQueued = q;
    if (this.flushTimer || this.inFlight || this.closing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.o.commitDelayMs ?? 20);
  }

  /** Null while the commit queue has room; else a Promise that resolves after the next commit. */
  private room(): Promise<void> | null {
    if (this.o.store.queued < (this.o.maxQueuedRecords ?? DEFAULT_MAX_QUEUED_RECORDS)) return null;
    if (!this.roomWait) {
      this.counters.throttled++;
      this.roomWait = new Promise<void>((r) => this.roomWaiters.push(r));
    }
    return this.roomWait;
  }

  private wakeRoom(): void {
    this.roomWait = null;
    for (const r of this.roomWaiters.splice(0)) r();
  }

  /**
   * Commits what is queued and sends the ACKs, one commit at a time: a call while a
   * commit runs waits for it, then commits what arrived meanwhile. A database failure
   * closes the sessions (nothing of theirs was acked: they resend).
   */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.inFlight) await this.inFlight;
    const store = this.o.store;
    if (store.queued === 0 && store.notesQueued === 0) return;
    this.inFlight = this.commitOnce();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
      this.wakeRoom();
    }
    if (store.queued > 0 || store.notesQueued > 0) this.scheduleFlush();
  }

  private async commitOnce(): Promise<void> {
    const t0 = performance.now();
    try {
      const n = await this.o.store.commit();
      const ms = performance.now() - t0;
      if (n > 0) {
        this.counters.commits++;
        this.counters.committedRecords += n;
      }
      this.counters.maxCommitMs = Math.max(this.counters.maxCommitMs, ms);
      if (ms > 100) {
        this.counters.slowCommits++;
        if (t0 - this.slowLoggedAt > 60_000) {
          this.slowLoggedAt = t0;
          this.o.log.warn(`slow database commit: ${ms.toFixed(0)} ms for ${n} records (${this.counters.slowCommits} commits over 100 ms so far; the database is slow or contended)`);
        }
      }
    } catch (err) {
      this.counters.storageErrors++;
      this.o.log.error(`database commit failed, closing sessions so devices resend: ${(err as Error).message}`);
      this.o.store.discardQueued();
      for (const s of this.sessions) s.close(CloseCode.storage, 'server could not store records; retry later');
    }
  }

  /** Graceful stop: commit and ack what arrived, let the ACKs out, then close every connection. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.flush();
    const drained = Promise.all([...this.sessions].map((s) => s.drained()));
    await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.flush(); // what arrived meanwhile (its ACKs may not make it out: the device resends, the store ignores)
    for (const s of this.sessions) s.close(CloseCode.shutdown, 'server shutting down');
    await Promise.race([Promise.all([...this.sessions].map((s) => s.drained())), new Promise((r) => setTimeout(r, 500).unref())]);
    await this.quic?.close(CloseCode.shutdown, 'server shutting down').catch(() => {});
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    for (const l of this.summaries()) l.close();
  }
}
