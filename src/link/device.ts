import { StateLog, type Logger } from '../base/log.js';
import { clean } from '../base/log-summary.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import { closeLabel } from '../protocol/close-codes.js';
import { DeviceCore, type DataStream, type DeviceOutput, type StreamName } from '../protocol/device-core.js';
import { ALPN } from '../protocol/messages.js';
import type { SpoolView } from '../protocol/spool-view.js';
import type { RecordPacker } from '../protocol/packing.js';
import type { BackoffOptions } from '../protocol/backoff.js';
import { QuicError, type QuicConnection, type QuicEngine, type QuicStream } from '../quic/engine.js';
import type { TlsMaterial } from '../tls/material.js';
import { parseHostPort } from '../base/host-port.js';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_MS } from '../protocol/transport.js';

/** What the link needs of the spool: the core's read view plus the cumulative ack. */
export interface LinkSpool extends SpoolView {
  ack(seq: number): void;
}

export interface DeviceLinkOptions {
  engine: QuicEngine;
  spool: LinkSpool;
  /** "HOST:PORT" or an address. */
  server: string | { host: string; port: number };
  /** Name the server certificate must carry (default: the host). */
  serverName?: string;
  tls: TlsMaterial;
  clock: Clock;
  log: Logger;
  status?: StatusBoard;
  device: string;
  firmware?: string;
  schema?: number;
  /** Uniform [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
  idleTimeoutMs?: number;
  keepAliveMs?: number;
  livenessMs?: number;
  /** Reconnect backoff (default 0.5 s doubling to 60 s). */
  backoff?: BackoffOptions;
  /** Packs records into PACKED frames (when the server supports its format). */
  packer?: RecordPacker;
}

interface Live {
  gen: number;
  conn: QuicConnection;
  control: QuicStream;
  uni: Partial<Record<DataStream, Promise<QuicStream>>>;
  /** Each data stream once open, for its buffered byte count. */
  opened: Partial<Record<DataStream, QuicStream>>;
  /** Bytes of sends waiting in the chain, not yet handed to the stream's write(). */
  queued: Record<DataStream, number>;
  chains: Record<StreamName, Promise<void>>;
}

/**
 * The device's link to the ingest server: the I/O shell around DeviceCore. Owns the
 * QUIC connection, its streams and the one timer; the core decides everything else.
 * Publishes link state to the StatusBoard and logs each change once.
 */
export class DeviceLink {
  private readonly core: DeviceCore;
  private readonly server: { host: string; port: number };
  private cur: Live | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly stateLog: StateLog<string>;
  private stopped = false;
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly o: DeviceLinkOptions) {
    this.server = typeof o.server === 'string' ? parseHostPort(o.server) : o.server;
    this.stateLog = new StateLog(o.log, 'server');
    this.core = new DeviceCore({
      device: o.device,
      firmware: o.firmware ?? 'unknown',
      schema: o.schema ?? 1,
      spool: o.spool,
      random: o.random ?? Math.random,
      livenessMs: o.livenessMs,
      backoff: o.backoff,
      packer: o.packer,
    });
  }

  get state(): string {
    return this.core.state;
  }
  get stats() {
    return { ...this.core.stats, inflight: this.core.inflight, buffered: this.buffered() };
  }

  /** Bytes the transport holds per data stream now: sends queued here plus what the stream buffers. */
  buffered(): Record<DataStream, number> {
    const l = this.cur;
    const count = (k: DataStream) => (l ? l.queued[k] + (l.opened[k]?.bufferedBytes ?? 0) : 0);
    return { live: count('live'), backlog: count('backlog') };
  }

  start(): void {
    this.apply(this.core.start(this.o.clock.now()));
  }

  /** New records were committed to the spool. */
  notify(): void {
    if (this.stopped) return;
    this.reportBuffered();
    this.apply(this.core.notify(this.o.clock.now()));
  }

  /** Closes the connection (orderly) and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.apply(this.core.stop(this.o.clock.now()));
    await Promise.all([...this.closing]);
  }

  private apply(outs: DeviceOutput[]): void {
    for (const o of outs) {
      switch (o.kind) {
        case 'connect':
          void this.connect(o.gen);
          break;
        case 'send':
          this.send(o.gen, o.stream, o.bytes);
          break;
        case 'close':
          this.closeConn(o.gen, o.code, o.reason);
          break;
        case 'ack':
          this.o.spool.ack(o.seq);
          break;
        case 'state':
          this.o.status?.setLink(o.state);
          this.stateLog.set(o.state, o.detail, o.state === 'offline' ? 'warn' : 'info');
          break;
        case 'welcome':
          this.o.log.debug(`WELCOME: server has up to seq ${o.welcome.high}, server clock ${new Date(o.welcome.time).toISOString()}, ${o.rttMs.toFixed(0)} ms after HELLO`);
          break;
      }
    }
    this.o.status?.setDetail('link', { ...this.core.stats, inflight: this.core.inflight, server: `${this.server.host}:${this.server.port}` });
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    const at = this.core.nextTimeout();
    if (at === null) return;
    const delay = Math.max(0, at - this.o.clock.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.apply(this.core.tick(this.o.clock.now()));
    }, delay + 1);
  }

  private async connect(gen: number): Promise<void> {
    const o = this.o;
    let conn: QuicConnection;
    let control: QuicStream;
    try {
      conn = await o.engine.connect({
        host: this.server.host,
        port: this.server.port,
        serverName: o.serverName,
        alpn: [ALPN],
        tls: o.tls,
        idleTimeoutMs: o.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
        keepAliveMs: o.keepAliveMs ?? KEEP_ALIVE_MS,
        handshakeTimeoutMs: 10_000,
      });
    } catch (err) {
      const permanent = err instanceof QuicError && (err.code === 'tls' || err.code === 'alpn');
      this.apply(this.core.connectFailed(o.clock.now(), gen, `connect to ${this.server.host}:${this.server.port} failed: ${(err as Error).message}`, permanent));
      return;
    }
    if (this.stopped || gen !== this.genOfCore()) {
      void conn.close(0, 'superseded').catch(() => {});
      return;
    }
    try {
      control = await conn.openStream('bidi');
    } catch (err) {
      void conn.close(0, 'no control stream').catch(() => {});
      this.apply(this.core.connectFailed(o.clock.now(), gen, `opening the control stream failed: ${(err as Error).message}`));
      return;
    }
    const live: Live = { gen, conn, control, uni: {}, opened: {}, queued: { live: 0, backlog: 0 }, chains: { control: Promise.resolve(), live: Promise.resolve(), backlog: Promise.resolve() } };
    this.cur = live;
    conn.on('close', (info) => {
      if (this.cur === live) this.cur = null;
      if (!this.stopped) this.apply(this.core.closed(o.clock.now(), gen, info.code, info.reason, info.by, info.app));
      else o.log.debug(`connection closed: ${closeLabel(info.code, info.app)} ${clean(info.reason)}`);
    });
    void this.readControl(live);
    this.apply(this.core.connected(o.clock.now(), gen));
  }

  /** The generation the core is on (a connect that finished late is dropped). */
  private genOfCore(): number {
    return this.core.currentGen;
  }

  private async readControl(l: Live): Promise<void> {
    try {
      for await (const chunk of l.control) {
        if (this.stopped) return;
        this.reportBuffered();
        this.apply(this.core.control(this.o.clock.now(), l.gen, chunk));
      }
    } catch {
      // the connection's close event reports why
    }
  }

  /** Tells the core what the transport holds per data stream (it stops writing at its bound). */
  private reportBuffered(): void {
    const l = this.cur;
    if (!l || this.stopped) return;
    const outs = this.core.transportBuffered(this.o.clock.now(), l.gen, this.buffered());
    if (outs.length) this.apply(outs);
  }

  private send(gen: number, stream: StreamName, bytes: Uint8Array): void {
    const l = this.cur;
    if (!l || l.gen !== gen) return;
    if (stream === 'control') {
      l.chains.control = l.chains.control.then(() => l.control.write(bytes)).catch((err: unknown) => this.writeFailed(l, stream, err));
      return;
    }
    l.queued[stream] += bytes.length;
    l.chains[stream] = l.chains[stream]
      .then(async () => {
        const st = (l.opened[stream] ??= await (l.uni[stream] ??= l.conn.openStream('uni')));
        l.queued[stream] -= bytes.length;
        await st.write(bytes);
        if (this.cur === l) this.reportBuffered();
      })
      .catch((err: unknown) => this.writeFailed(l, stream, err));
  }

  private writeFailed(l: Live, stream: StreamName, err: unknown): void {
    // A failed write means the connection is going; its close event resumes later.
    if (this.cur === l) this.o.log.debug(`write on ${stream} stream failed: ${(err as Error).message}`);
  }

  private closeConn(gen: number, code: number, reason: string): void {
    const l = this.cur;
    if (!l || l.gen !== gen) return;
    this.cur = null;
    const p = l.conn.close(code, reason).catch(() => {});
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }
}
