import type { Logger } from '../log.js';
import { CloseCode } from '../link/core/close-codes.js';
import { ALPN, DEFAULT_LIMITS, type Limits, type PushedConfig } from '../link/core/frames.js';
import type { QuicEngine, QuicServer, TlsMaterial } from '../link/quic/engine.js';
import { Session } from './session.js';
import type { Store } from './store.js';
import type { RecordPacker } from '../link/core/packing.js';

export interface IngestServerOptions {
  engine: QuicEngine;
  store: Store;
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
  /** Unpackers for PACKED frames (src/link/record-packer.ts). */
  packers?: readonly RecordPacker[];
  /** UDP socket receive/send buffer (default 4 MiB, capped by net.core.rmem_max; 0: kernel default). */
  udpBufferBytes?: number;
}

export const DEFAULT_PUSHED_CONFIG: PushedConfig = { batchRecords: 1024, batchBytes: 128 * 1024, windowRecords: 16384 };

export interface ServerCounters {
  connections: number;
  handshakeErrors: number;
  refused: number;
  commits: number;
  committedRecords: number;
  /** Longest COMMIT (ms): the event loop is blocked that long (SQLite is synchronous). */
  maxCommitMs: number;
  /** COMMITs that took over 100 ms (a slow or contended disk: the UDP socket may overflow meanwhile). */
  slowCommits: number;
  storageErrors: number;
}

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
  readonly counters: ServerCounters = { connections: 0, handshakeErrors: 0, refused: 0, commits: 0, committedRecords: 0, maxCommitMs: 0, slowCommits: 0, storageErrors: 0 };
  private slowLoggedAt = -Infinity;

  constructor(private readonly o: IngestServerOptions) {}

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
      idleTimeoutMs: o.idleTimeoutMs ?? 180_000,
      keepAliveMs: o.keepAliveMs ?? 20_000,
      ...(o.udpBufferBytes !== undefined ? { udpBufferBytes: o.udpBufferBytes } : {}),
    });
    this.quic.on('handshakeError', (err, from) => {
      this.counters.handshakeErrors++;
      o.log.warn(`handshake from ${from.host}:${from.port} refused: ${err.message}`);
    });
    const host = {
      store: o.store,
      log: o.log,
      config,
      limits,
      packers: o.packers ?? [],
      helloTimeoutMs: o.helloTimeoutMs ?? 10_000,
      identify: o.identify,
      queued: () => this.scheduleFlush(),
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
    if (this.flushTimer || this.closing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, this.o.commitDelayMs ?? 20);
  }

  /** Commits what is queued and sends the ACKs. A database failure closes the sessions whose records were lost (they resend). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    try {
      const t0 = performance.now();
      const n = this.o.store.flush();
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
          this.o.log.warn(`slow database commit: ${ms.toFixed(0)} ms for ${n} records (${this.counters.slowCommits} commits over 100 ms so far; the disk is slow or contended)`);
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
    this.flush();
    const drained = Promise.all([...this.sessions].map((s) => s.drained()));
    await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.flush(); // what arrived meanwhile (its ACKs may not make it out: the device resends, the store ignores)
    for (const s of this.sessions) s.close(CloseCode.shutdown, 'server shutting down');
    await Promise.race([Promise.all([...this.sessions].map((s) => s.drained())), new Promise((r) => setTimeout(r, 500).unref())]);
    await this.quic?.close(CloseCode.shutdown, 'server shutting down').catch(() => {});
  }
}
