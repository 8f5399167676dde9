/**
 * QuicConnection and QuicStream over @matrixai/quic's QUICConnection/QUICStream
 * (Web Streams). Every library event we depend on is listened to here, and an
 * 'EventError' listener sits on each object, so nothing thrown inside the library's
 * handlers becomes an uncaught exception: it is logged and, for a connection,
 * ends it with one 'close'.
 */
import { EventEmitter } from 'node:events';
import type { QUICConnection, QUICStream } from '@matrixai/quic';
import { errors as qerr, events as qev } from '@matrixai/quic';
import type { Logger } from '../base/log.js';
import { describeCloseCode } from './alerts.js';
import {
  QuicError,
  type Address,
  type CloseInfo,
  type ConnectionStats,
  type QuicConnection,
  type QuicConnectionEvents,
  type QuicStream,
  type StreamKind,
} from './engine.js';

const EVENT_ERROR = 'EventError';
/** Probe interval while written data is unanswered (see MxConnection.noteWrite). */
const PROBE_MS = 500;
const utf8 = new TextDecoder();
const enc = new TextEncoder();

/** What a stream reset carries through the library's reasonToCode/codeToReason hooks. */
export class StreamReset extends Error {
  constructor(
    readonly appCode: number,
    by: 'local' | 'peer',
  ) {
    super(`stream reset by ${by} with code ${appCode}`);
  }
}

export const reasonToCode = (_type: 'read' | 'write', reason?: unknown): number =>
  reason instanceof StreamReset ? reason.appCode : 0;
export const codeToReason = (_type: 'read' | 'write', code: number): unknown => new StreamReset(code, 'peer');

interface ConnErrorData {
  isApp: boolean;
  errorCode: number;
  reason: Uint8Array;
}

function errorData(err: unknown): ConnErrorData | undefined {
  const data = (err as { data?: unknown } | undefined)?.data;
  if (data && typeof data === 'object' && 'errorCode' in data) return data as ConnErrorData;
  return undefined;
}

/** The library derives ErrorQUICConnectionPeerTLS from its *Local* error class: test it first. */
export function isPeerError(err: unknown): boolean {
  return err instanceof qerr.ErrorQUICConnectionPeerTLS || err instanceof qerr.ErrorQUICConnectionPeer;
}

/** CloseInfo from the error the library ends a connection with. */
export function closeInfoFrom(err: unknown, idleTimeoutMs: number): CloseInfo {
  if (err instanceof qerr.ErrorQUICConnectionIdleTimeout) {
    return { code: 0, app: false, by: 'idle', reason: `idle timeout: nothing heard from the peer for ${Math.round(idleTimeoutMs / 1000)} s` };
  }
  const data = errorData(err);
  const by: CloseInfo['by'] = isPeerError(err) ? 'peer' : err instanceof qerr.ErrorQUICConnectionLocal ? 'local' : 'error';
  if (data) {
    const text = data.reason && data.reason.byteLength ? utf8.decode(data.reason) : '';
    return {
      code: data.errorCode,
      app: data.isApp,
      by,
      reason: data.isApp ? text : text ? `${describeCloseCode(data.errorCode)}: ${text}` : describeCloseCode(data.errorCode),
    };
  }
  return { code: 1, app: false, by: 'error', reason: (err as Error | undefined)?.message ?? 'connection failed' };
}

function closedError(what: string, err: unknown): QuicError {
  if (err instanceof QuicError) return err;
  if (err instanceof StreamReset) return new QuicError('closed', `${what}: ${err.message}`, err.appCode);
  const data = errorData(err);
  if (data) return new QuicError('closed', `${what}: connection closed (${closeInfoFrom(err, 0).reason || `code ${data.errorCode}`})`);
  if (err === null || err === undefined) return new QuicError('closed', `${what}: connection closed`);
  return new QuicError('closed', `${what}: ${(err as Error | undefined)?.message ?? String(err)}`);
}

export class MxStream implements QuicStream {
  readonly id: number;
  readonly kind: StreamKind;
  readonly local: boolean;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private readonly canWrite: boolean;
  /** Bytes of write() calls quiche has not accepted yet. */
  private pending = 0;

  constructor(
    private readonly s: QUICStream,
    private readonly log: Logger,
    private readonly onWrite: () => void = () => undefined,
  ) {
    this.id = s.streamId;
    this.kind = s.type;
    this.local = s.initiated === 'local';
    this.canWrite = !(this.kind === 'uni' && !this.local);
    s.addEventListener(EVENT_ERROR, (evt: Event) => {
      this.log.warn(`quic stream ${this.id}: internal error: ${String((evt as CustomEvent).detail)}`);
    });
  }

  private getWriter(): WritableStreamDefaultWriter<Uint8Array> {
    if (!this.canWrite) throw new QuicError('closed', `stream ${this.id} was opened by the peer as unidirectional: it cannot be written`);
    this.writer ??= this.s.writable.getWriter();
    return this.writer;
  }

  get bufferedBytes(): number {
    return this.pending;
  }

  async write(data: Uint8Array): Promise<void> {
    const w = this.getWriter();
    this.onWrite();
    this.pending += data.byteLength;
    try {
      await w.write(data);
    } catch (err) {
      throw closedError(`write on stream ${this.id}`, err);
    } finally {
      this.pending -= data.byteLength;
    }
  }

  async end(): Promise<void> {
    const w = this.getWriter();
    this.onWrite();
    try {
      await w.close();
    } catch (err) {
      throw closedError(`end of stream ${this.id}`, err);
    }
  }

  reset(code: number): void {
    try {
      this.s.cancel(new StreamReset(code, 'local'));
    } catch (err) {
      this.log.debug(`quic stream ${this.id}: reset after close: ${(err as Error).message}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const reader = this.s.readable.getReader();
    try {
      for (;;) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch (err) {
          throw closedError(`read on stream ${this.id}`, err);
        }
        if (r.done) return;
        yield r.value;
      }
    } finally {
      reader.releaseLock();
    }
  }
}

/** Hooks the engine gives a connection (client connections own their socket). */
export interface MxConnectionHooks {
  /** Runs once after the connection is gone (client: stops its socket). */
  onGone?: () => Promise<void> | void;
  /** Closes the connection (client: QUICClient.destroy; server: connection.stop). */
  stop: (opts: { isApp: boolean; errorCode: number; reason: Uint8Array }) => Promise<void>;
}

export class MxConnection implements QuicConnection {
  readonly id: string;
  readonly alpn: string;
  private readonly ee = new EventEmitter();
  private readonly pendingStreams: MxStream[] = [];
  private closeInfo: CloseInfo | undefined;
  private pathChanges = 0;
  private lastRemote: Address;
  private readonly recvWaiters: (() => void)[] = [];
  private lastRecvAt = performance.now();
  private lastWriteAt = 0;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly c: QUICConnection,
    private readonly hooks: MxConnectionHooks,
    private readonly idleTimeoutMs: number,
    private readonly log: Logger,
  ) {
    this.id = c.connectionIdShared.toString();
    this.alpn = utf8.decode(this.native().applicationProto());
    this.lastRemote = { host: c.remoteHost, port: c.remotePort };
    c.addEventListener(qev.EventQUICConnectionStream.name, (evt: Event) => {
      const s = (evt as unknown as { detail: QUICStream }).detail;
      this.deliverStream(new MxStream(s, this.log, this.noteWrite));
    });
    c.addEventListener(qev.EventQUICConnectionError.name, (evt: Event) => {
      this.finish(closeInfoFrom((evt as unknown as { detail: unknown }).detail, this.idleTimeoutMs));
    });
    c.addEventListener(qev.EventQUICConnectionStopped.name, () => {
      this.finish({ code: 0, app: false, by: 'local', reason: 'connection stopped' });
      void Promise.resolve(this.hooks.onGone?.()).catch((err: unknown) => this.log.warn(`quic: cleanup failed: ${String(err)}`));
    });
    c.addEventListener(EVENT_ERROR, (evt: Event) => {
      const err = (evt as CustomEvent).detail as unknown;
      this.log.warn(`quic connection ${this.id}: internal error: ${(err as Error)?.message ?? String(err)}`);
      this.finish({ code: 1, app: false, by: 'error', reason: `internal error: ${(err as Error)?.message ?? String(err)}` });
      void this.hooks.stop({ isApp: false, errorCode: 1, reason: enc.encode('internal error') }).catch(() => undefined);
    });
    this.hookRecv();
    // Streams the peer opened before we were listening (between the handshake and
    // this wrapper): the library keeps them in its stream map.
    const early = (c as unknown as { streamMap?: Map<number, QUICStream> }).streamMap;
    for (const s of early?.values() ?? []) {
      if (s.initiated === 'peer') this.deliverStream(new MxStream(s, this.log, this.noteWrite));
    }
  }

  /** The quiche connection object the library keeps (public in its JS, untyped in its .d.ts). */
  private native(): MxNative {
    return (this.c as unknown as { conn: MxNative }).conn;
  }

  /**
   * Wraps the instance's recv so that after each received datagram we drain
   * quiche's path events and wake waiters. Only PeerMigrated (quiche validated the
   * new path and moved to it) is a path change: the library's remoteHost follows
   * every datagram's source, even ones quiche then drops (a second migration).
   */
  private hookRecv(): void {
    const c = this.c as unknown as { recv: (d: Uint8Array, r: { host: string; port: number }) => Promise<void> };
    const orig = c.recv.bind(this.c);
    c.recv = async (data, remote) => {
      await orig(data, remote);
      this.afterRecv();
    };
  }

  private afterRecv(): void {
    const n = this.native();
    for (let i = 0; i < 16; i++) {
      let ev: MxPathEvent | null | undefined;
      try {
        ev = n.pathEventNext();
      } catch {
        break;
      }
      if (!ev) break;
      if (ev.type === 'PeerMigrated') this.notePath({ host: ev.new.host, port: ev.new.port });
    }
    this.lastRecvAt = performance.now();
    for (const w of this.recvWaiters.splice(0)) w();
  }

  /**
   * Outage probing. quiche 0.18's retransmission backoff is uncapped: after a
   * black hole of 10 s the first retransmission can come ~7 s after the path is
   * back, and after ~150 s none comes before the idle timeout kills the
   * connection. So while something we wrote is unanswered (nothing received
   * since), we ask quiche for an ack-eliciting packet every PROBE_MS; the first
   * one after the path returns gets an ACK and loss recovery restarts at once.
   * On a healthy link the timer fires once after a write and stops.
   */
  private readonly noteWrite = (): void => {
    this.lastWriteAt = performance.now();
    if (!this.probeTimer && !this.closeInfo) this.armProbe();
  };

  private armProbe(): void {
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.closeInfo || this.lastRecvAt >= this.lastWriteAt) return;
      if (performance.now() - this.lastRecvAt >= PROBE_MS) this.probe();
      this.armProbe();
    }, PROBE_MS);
    this.probeTimer.unref();
  }

  private probe(): void {
    try {
      this.native().sendAckEliciting();
      void (this.c as unknown as { send(): Promise<void> }).send().catch(() => undefined);
    } catch {
      // closing: nothing to probe
    }
  }

  private notePath(to: Address): void {
    if (to.host === this.lastRemote.host && to.port === this.lastRemote.port) return;
    const from = this.lastRemote;
    this.lastRemote = to;
    this.pathChanges++;
    this.ee.emit('path', { from, to });
  }

  /** Resolves after the next datagram for this connection was processed, or on close. */
  nextRecv(): Promise<void> {
    if (this.closeInfo) return Promise.resolve();
    return new Promise((resolve) => this.recvWaiters.push(resolve));
  }

  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    clearTimeout(this.probeTimer);
    for (const w of this.recvWaiters.splice(0)) w();
    this.ee.emit('close', info);
  }

  private deliverStream(s: MxStream): void {
    if (this.ee.listenerCount('stream') === 0) this.pendingStreams.push(s);
    else this.ee.emit('stream', s);
  }

  /** The peer address of quiche's active path (what replies go to). */
  get remote(): Address {
    try {
      const active = this.native().pathStats().find((p) => p.active);
      if (active) return { host: active.peerHost.host, port: active.peerHost.port };
    } catch {
      // closed: fall through
    }
    return { ...this.lastRemote };
  }

  peerCertificates(): Uint8Array[] {
    return this.c.getRemoteCertsChain();
  }

  async openStream(kind: StreamKind): Promise<QuicStream> {
    if (this.closeInfo) throw new QuicError('closed', `openStream: connection closed (${this.closeInfo.reason})`);
    try {
      return new MxStream(this.c.newStream(kind), this.log, this.noteWrite);
    } catch (err) {
      if (err instanceof qerr.ErrorQUICStreamLimit) throw new QuicError('refused', `openStream: ${err.message}`);
      throw closedError('openStream', err);
    }
  }

  async close(code: number, reason: string): Promise<void> {
    if (this.closeInfo) return;
    this.finish({ code, app: true, by: 'local', reason });
    await this.hooks.stop({ isApp: true, errorCode: code, reason: enc.encode(reason) });
  }

  stats(): ConnectionStats {
    const n = this.native();
    const s = n.stats();
    let rttMs = 0;
    try {
      const active = n.pathStats().find((p) => p.active) ?? n.pathStats()[0];
      if (active) rttMs = active.rtt;
    } catch {
      // closed: keep 0
    }
    return { rttMs, pathChanges: this.pathChanges, bytesSent: s.sentBytes, bytesReceived: s.recvBytes };
  }

  on<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.ee.on(event, listener);
    if (event === 'stream' && this.pendingStreams.length) {
      for (const s of this.pendingStreams.splice(0)) this.ee.emit('stream', s);
    }
    if (event === 'close' && this.closeInfo) {
      const info = this.closeInfo;
      queueMicrotask(() => (listener as QuicConnectionEvents['close'])(info));
    }
  }

  off<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.ee.off(event, listener);
  }
}

type MxPathEvent =
  | { type: 'New' | 'Validated' | 'Closed'; local: Address; peer: Address }
  | { type: 'PeerMigrated'; old: Address; new: Address }
  | { type: 'ReusedSourceConnectionId' };

interface MxNative {
  applicationProto(): Uint8Array;
  pathEventNext(): MxPathEvent | null;
  stats(): { sentBytes: number; recvBytes: number; recv: number; sent: number; lost: number };
  pathStats(): { active: boolean; rtt: number; peerHost: Address }[];
  sendAckEliciting(): void;
}
