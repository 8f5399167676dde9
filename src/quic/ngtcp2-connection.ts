/**
 * A QuicConnection over one native (ngtcp2) connection. The addon is sans-IO:
 * this class feeds it datagrams and time, sends what it produces through the
 * owner's `send`, keeps one timer at the addon's next expiry, and turns the
 * addon's events into streams and connection events.
 */
import { EventEmitter } from 'node:events';
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
import type { NativeConnection, NativeDatagram, NativeEventObject } from './native-loader.js';
import { NativeEvent, NativeStatus } from './native-constants.js';
import { Ngtcp2Stream, type StreamHost } from './ngtcp2-stream.js';
import type { PeerVerifier } from '../tls/verify.js';
import { TLS_ALERT } from '../tls/alerts.js';
import { CRYPTO_ERROR_BASE, describeCloseCode, transportCodeOfLiberr } from './alerts.js';

/** How long close() waits for the peer to acknowledge what was written before it. */
const CLOSE_LINGER_MS = 250;

export const now = (): number => performance.now();

export interface ConnectionOwner {
  send(d: NativeDatagram): void;
  /** Server: routing updates. */
  onCid?(c: Ngtcp2Connection, cid: string, added: boolean): void;
  /** Handshake complete (server) or confirmed (client). */
  onReady(c: Ngtcp2Connection): void;
  /** Failed before it was ready. */
  onFailed(c: Ngtcp2Connection, err: QuicError): void;
  onClosed(c: Ngtcp2Connection, info: CloseInfo): void;
  /** Client: move to a fresh socket now (active migration with a new connection ID). */
  migrate?(): Promise<void>;
}

export class Ngtcp2Connection implements QuicConnection, StreamHost {
  readonly id: string;
  private readonly emitter = new EventEmitter();
  private readonly streams = new Map<number, Ngtcp2Stream>();
  private timer: NodeJS.Timeout | null = null;
  private ready = false;
  private closed: CloseInfo | null = null;
  closedError: QuicError | null = null;
  private readonly openWaiters: (() => void)[] = [];
  private pumping = false;
  private pumpAgain = false;
  private localPath: Address;
  private lastRemote: Address;
  private pathChanges = 0;
  private holdUntil = 0;
  private lastPad = -Infinity;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Times the expiry timer has fired (an idle connection wakes for keep-alive only). */
  timerWakeups = 0;

  constructor(
    private readonly native: NativeConnection,
    private readonly owner: ConnectionOwner,
    readonly isServer: boolean,
    local: Address,
    remote: Address,
    /** Checks the peer's chain once TLS completes (revocation, key usage, name), like the other engine. */
    private readonly verifier: PeerVerifier | undefined,
    /** The protocols we offer/accept, for error messages. */
    private readonly alpnList: string[],
  ) {
    this.id = native.info().odcid;
    this.localPath = local;
    this.lastRemote = remote;
  }

  get alpn(): string {
    return this.closed ? '' : this.native.info().alpn;
  }

  get remote(): Address {
    return this.lastRemote;
  }

  get isReady(): boolean {
    return this.ready;
  }

  peerCertificates(): Uint8Array[] {
    return this.closed ? [] : this.native.peerCerts().map((b) => new Uint8Array(b));
  }

  stats(): ConnectionStats {
    if (this.closed) return { rttMs: 0, pathChanges: this.pathChanges, bytesSent: 0, bytesReceived: 0 };
    const i = this.native.info();
    return { rttMs: i.rttMs, pathChanges: this.pathChanges, bytesSent: i.bytesSent, bytesReceived: i.bytesReceived };
  }

  /** Engine-specific detail for tests and benchmarks (congestion and outage state). */
  nativeInfo(): ReturnType<NativeConnection['info']> | null {
    return this.closed ? null : this.native.info();
  }

  on<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.emitter.on(event, listener);
  }

  off<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.emitter.off(event, listener);
  }

  async openStream(kind: StreamKind): Promise<QuicStream> {
    for (;;) {
      if (this.closedError) throw this.closedError;
      const id = this.native.openStream(kind === 'bidi');
      if (id >= 0) {
        const s = new Ngtcp2Stream(id, kind, true, this);
        this.streams.set(id, s);
        return s;
      }
      await new Promise<void>((resolve) => this.openWaiters.push(resolve));
    }
  }

  async close(code: number, reason: string): Promise<void> {
    if (this.closed) return;
    // CONNECTION_CLOSE discards stream data not yet sent (ngtcp2 paces packets, so data
    // written just before may still be queued): what was written, such as a CLOSE
    // frame, reaches the peer first, unless the peer does not acknowledge it in time.
    await this.delivered(CLOSE_LINGER_MS);
    if (this.closed) return;
    const d = this.native.close(code, reason, true, now());
    if (d) this.owner.send(d);
    this.finish({ code, app: true, reason, by: 'local' });
  }

  /** Resolves when the peer has acknowledged every byte written on every stream, or after maxMs. */
  private delivered(maxMs: number): Promise<void> {
    const pending = () => !this.closed && [...this.streams.keys()].some((id) => this.native.unacked(id) > 0);
    if (!pending()) return Promise.resolve();
    const deadline = now() + maxMs;
    return new Promise((resolve) => {
      const poll = () => (!pending() || now() >= deadline ? resolve() : setTimeout(poll, 5));
      setTimeout(poll, 5);
    });
  }

  /** Abandons the connection without telling the peer (process shutdown paths). */
  destroy(info: CloseInfo): void {
    this.finish(info);
  }

  // --- StreamHost ---

  write(id: number, data: Uint8Array | null, fin: boolean): number {
    if (this.closed) return -1;
    const n = this.native.write(id, data, fin);
    this.schedulePump();
    return n;
  }

  unacked(id: number): number {
    return this.closed ? 0 : this.native.unacked(id);
  }

  reset(id: number, code: number): void {
    if (this.closed) return;
    this.native.shutdownStream(id, code);
    this.schedulePump();
  }

  consumed(id: number, bytes: number): void {
    if (this.closed) return;
    this.native.consumed(id, bytes);
    this.schedulePump();
  }

  // --- I/O from the owner ---

  receive(pkt: Uint8Array, local: Address, remote: Address): void {
    if (this.closed) return;
    const st = this.native.recv(pkt, local.host, local.port, remote.host, remote.port, now());
    if (st !== NativeStatus.Ok) return this.fail(st);
    this.pump();
  }

  /**
   * Client: migrate actively now: a fresh socket (the kernel picks the current route's
   * source address for it) and a new connection ID; the route watcher does this on its
   * own. Rejects on a server connection.
   */
  migrateNow(): Promise<void> {
    if (!this.owner.migrate) return Promise.reject(new QuicError('internal', 'a server connection does not migrate'));
    return this.owner.migrate();
  }

  /** Client: moves to a new local socket at once (RFC 9000 9.2 active migration). */
  migrate(local: Address): string {
    if (this.closed) return 'closed';
    const why = this.native.migrate(local.host, local.port, now());
    if (!why) this.pump();
    return why;
  }

  start(): void {
    this.pump();
  }

  /** Client: the route is changing; send a full-size datagram so the server can answer in one round trip. */
  pad(): void {
    // Netlink is chatty: at most one padded datagram per 250 ms.
    if (this.closed || now() - this.lastPad < 250) return;
    this.lastPad = now();
    const d = this.native.pad(now());
    if (d) this.owner.send(d);
  }

  /**
   * Client: keep packets in for up to `ms` (route in flux; see route-watch.ts), or
   * release them now (ms = 0).
   */
  hold(ms: number): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.holdUntil = ms > 0 ? now() + ms : 0;
    if (ms > 0) this.holdTimer = setTimeout(() => this.hold(0), ms);
    else this.pump();
  }

  private schedulePump(): void {
    if (this.pumpAgain) return;
    this.pumpAgain = true;
    queueMicrotask(() => {
      this.pumpAgain = false;
      this.pump();
    });
  }

  /** Drains events, sends everything due, and re-arms the timer. */
  private pump(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      for (let round = 0; round < 8 && !this.closed; round++) {
        const evs = this.native.drain();
        for (const ev of evs) this.dispatch(ev);
        if (this.closed) return;
        if (this.holdUntil && now() < this.holdUntil) break;
        const out = this.native.flush(now());
        if (typeof out === 'number') return this.fail(out);
        for (const d of out) this.owner.send(d);
        if (out.length === 0 && evs.length === 0) break;
      }
      this.arm();
    } finally {
      this.pumping = false;
    }
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    const at = this.native.expiry();
    if (at < 0) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, Math.ceil(at - now())));
  }

  private onTimer(): void {
    this.timer = null;
    this.timerWakeups++;
    if (this.closed) return;
    const st = this.native.handleExpiry(now());
    if (st !== NativeStatus.Ok) return this.fail(st);
    this.pump();
  }

  private dispatch(ev: NativeEventObject): void {
    switch (ev.type) {
      case NativeEvent.Handshake:
        if (!this.verifyPeer()) return;
        if (this.isServer) this.becomeReady();
        break;
      case NativeEvent.Confirmed:
        if (!this.isServer) this.becomeReady();
        break;
      case NativeEvent.StreamOpen: {
        const id = ev.id!;
        const kind: StreamKind = (id & 2) === 0 ? 'bidi' : 'uni';
        const s = new Ngtcp2Stream(id, kind, false, this);
        this.streams.set(id, s);
        this.emit('stream', s);
        break;
      }
      case NativeEvent.StreamData:
        this.streamFor(ev.id!)?.onData(ev.data!, ev.fin === true);
        break;
      case NativeEvent.StreamClose: {
        const s = this.streamFor(ev.id!);
        this.streams.delete(ev.id!);
        s?.onClosed(null);
        break;
      }
      case NativeEvent.StreamReset:
        this.streamFor(ev.id!)?.onPeerReset(ev.code ?? 0);
        break;
      case NativeEvent.StopSending:
        this.streamFor(ev.id!)?.onStopSending(ev.code ?? 0);
        break;
      case NativeEvent.StreamsCredit:
        for (const w of this.openWaiters.splice(0)) w();
        break;
      case NativeEvent.Acked:
        this.streamFor(ev.id!)?.onAcked();
        break;
      case NativeEvent.Path: {
        this.pathChanges++;
        if (this.isServer) {
          const to = { host: ev.toHost!, port: ev.toPort! };
          const from = { host: ev.fromHost!, port: ev.fromPort! };
          this.lastRemote = to;
          this.emit('path', { from, to });
        } else {
          const [host, port] = splitHostPort(ev.local!);
          const to = { host, port };
          const from = this.localPath;
          this.localPath = to;
          this.emit('path', { from, to });
        }
        break;
      }
      case NativeEvent.ScidNew:
        this.owner.onCid?.(this, ev.cid!, true);
        break;
      case NativeEvent.ScidRetired:
        this.owner.onCid?.(this, ev.cid!, false);
        break;
    }
  }

  /** False (and the connection closing with the TLS alert) when the peer's chain is refused. */
  private verifyPeer(): boolean {
    if (!this.verifier) return true;
    const r = this.verifier.verify(this.native.peerCerts());
    if (r.ok) return true;
    const code = CRYPTO_ERROR_BASE + r.alert;
    const d = this.native.close(code, '', false, now());
    if (d) this.owner.send(d);
    const err = new QuicError('tls', r.message);
    this.owner.onFailed(this, err);
    this.finish({ code, app: false, reason: r.message, by: 'local' }, err);
    return false;
  }

  private streamFor(id: number): Ngtcp2Stream | undefined {
    return this.streams.get(id);
  }

  private becomeReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.owner.onReady(this);
  }

  private emit<E extends keyof QuicConnectionEvents>(event: E, ...args: Parameters<QuicConnectionEvents[E]>): void {
    try {
      this.emitter.emit(event, ...args);
    } catch (e) {
      // A listener threw: nothing escapes an event handler; the connection ends instead.
      const msg = `listener for '${event}' threw: ${(e as Error).message}`;
      queueMicrotask(() => void this.close(1, msg.slice(0, 200)));
    }
  }

  /** Ends the connection after a status other than Ok. */
  private fail(st: NativeStatus): void {
    const info = this.native.info();
    let close: CloseInfo;
    let err: QuicError;
    switch (st) {
      case NativeStatus.Draining: {
        if (info.statelessReset) {
          const reason = 'stateless reset: the peer no longer holds this connection (restarted?)';
          close = { code: 0, app: false, reason, by: 'peer' };
          err = new QuicError('closed', reason);
          break;
        }
        close = { code: info.closeCode, app: info.closeType === 1, reason: info.closeReason || (info.closeType === 1 ? '' : describeCloseCode(info.closeCode)), by: 'peer' };
        err = this.errorFromPeerClose(info.closeType, info.closeCode, info.closeReason);
        break;
      }
      case NativeStatus.Idle:
        close = { code: 0, app: false, reason: 'idle timeout', by: 'idle' };
        err = new QuicError(this.ready ? 'closed' : 'timeout', 'idle timeout');
        break;
      case NativeStatus.Drop:
        // ngtcp2 says drop the connection silently: before the handshake, the first
        // Initial did not decrypt or made no sense (junk, or a mutated packet)
        close = { code: 0, app: false, reason: 'dropped', by: 'error' };
        err = new QuicError(this.ready ? 'closed' : 'refused', this.ready ? 'connection dropped (ERR_DROP_CONN)' : 'first Initial undecryptable or invalid: junk or mutated');
        break;
      case NativeStatus.HandshakeTimeout:
        close = { code: 0, app: false, reason: 'handshake timeout', by: 'error' };
        err = new QuicError('timeout', 'handshake timed out (no answer from the server?)');
        break;
      default: {
        const d = this.native.closeAfterError(now());
        if (d) this.owner.send(d);
        const alert = info.tlsAlert;
        let reason = alert ? describeCloseCode(CRYPTO_ERROR_BASE + alert) : info.lastError || 'transport error';
        if (alert === TLS_ALERT.no_application_protocol) reason += `: the peer offered none of ${this.alpnList.join(', ')}`;
        close = { code: alert ? CRYPTO_ERROR_BASE + alert : transportCodeOfLiberr(info.lastError), app: false, reason, by: 'error' };
        err = new QuicError(alert === TLS_ALERT.no_application_protocol ? 'alpn' : alert || /CRYPTO/i.test(info.lastError) ? 'tls' : 'internal', reason);
      }
    }
    if (!this.ready) this.owner.onFailed(this, err);
    this.finish(close, err);
  }

  private errorFromPeerClose(type: number, code: number, reason: string): QuicError {
    const suffix = reason ? `: ${reason}` : '';
    if (type === 0 && code >= CRYPTO_ERROR_BASE && code < CRYPTO_ERROR_BASE + 256) {
      const alert = code - CRYPTO_ERROR_BASE;
      return new QuicError(alert === TLS_ALERT.no_application_protocol ? 'alpn' : 'tls', `peer refused the handshake: ${describeCloseCode(code)}${suffix}`);
    }
    if (type === 0 && code === 0x2) return new QuicError('refused', `peer refused the connection (CONNECTION_REFUSED)${suffix}`);
    return new QuicError(this.ready ? 'closed' : 'refused', `peer closed the connection with code ${code}${suffix}`);
  }

  private finish(info: CloseInfo, err?: QuicError): void {
    if (this.closed) return;
    this.closed = info;
    this.closedError = err && this.ready ? new QuicError('closed', err.message) : (err ?? new QuicError('closed', `connection closed (${info.by}, code ${info.code}${info.reason ? `: ${info.reason}` : ''})`));
    if (this.ready && !(this.closedError.code === 'closed')) this.closedError = new QuicError('closed', this.closedError.message);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    for (const s of this.streams.values()) s.onClosed(this.closedError);
    this.streams.clear();
    for (const w of this.openWaiters.splice(0)) w();
    this.native.destroy();
    this.owner.onClosed(this, info);
    if (this.ready) this.emit('close', info);
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
