import { EventEmitter } from 'node:events';
import { QuicError, type Address, type CloseInfo, type ConnectOptions, type ListenOptions, type QuicConnection, type QuicConnectionEvents, type QuicEngine, type QuicServer, type QuicStream, type StreamKind } from '../../src/quic/engine.js';

/**
 * An in-memory QuicEngine for testing the protocol shells (DeviceLink, Session)
 * without sockets, and as the benchmark's transport baseline. It is NOT a QUIC
 * implementation: no loss, no flow control; "certificates" are the cert strings
 * (peerCertificates() returns the peer's tls.cert as UTF-8 bytes). Test controls
 * (black hole, server kill) live here, not on the QuicEngine interface.
 */
class MemStream implements QuicStream {
  private q: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private failed: Error | null = null;
  peer!: MemStream;
  constructor(
    readonly id: number,
    readonly kind: StreamKind,
    readonly local: boolean,
    private readonly conn: MemConn,
  ) {}
  /** Delivered (or swallowed) at once: nothing stays buffered. */
  readonly bufferedBytes = 0;
  async write(data: Uint8Array): Promise<void> {
    if (this.conn.closedInfo) throw new QuicError('closed', 'connection closed');
    if (this.conn.net.blackHole) return; // swallowed
    this.peer.deliver(data.slice());
  }
  async end(): Promise<void> {
    this.peer.finish(null);
  }
  reset(_code: number): void {
    this.peer.finish(new Error('reset'));
  }
  deliver(b: Uint8Array): void {
    this.q.push(b);
    this.wake();
  }
  finish(err: Error | null): void {
    this.ended = true;
    this.failed = err;
    this.wake();
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.q.length) {
        yield this.q.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.failed) throw this.failed;
        return;
      }
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}

let nextId = 1;
class MemConn implements QuicConnection {
  readonly id = (nextId++).toString(16);
  readonly alpn: string;
  closedInfo: CloseInfo | null = null;
  peer!: MemConn;
  private ev = new EventEmitter();
  private streams: MemStream[] = [];
  private sid = 0;
  constructor(
    readonly net: MemNet,
    readonly remote: Address,
    private readonly peerCert: string,
    alpn: string,
    private readonly isClient: boolean,
  ) {
    this.alpn = alpn;
  }
  peerCertificates(): Uint8Array[] {
    return this.peerCert ? [new TextEncoder().encode(this.peerCert)] : [];
  }
  async openStream(kind: StreamKind): Promise<QuicStream> {
    if (this.closedInfo) throw new QuicError('closed', 'connection closed');
    const id = this.sid++ * 4 + (this.isClient ? 0 : 1) + (kind === 'uni' ? 2 : 0);
    const a = new MemStream(id, kind, true, this);
    const b = new MemStream(id, kind, false, this.peer);
    a.peer = b;
    b.peer = kind === 'bidi' ? a : new MemStream(id, kind, true, this); // uni: the receiver's writes go nowhere
    this.streams.push(a);
    this.peer.streams.push(b);
    queueMicrotask(() => this.peer.ev.emit('stream', b));
    return a;
  }
  async close(code: number, reason: string): Promise<void> {
    this.end({ code, reason, by: 'local', app: true });
    this.peer.end({ code, reason, by: 'peer', app: true });
  }
  end(info: CloseInfo): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    for (const s of this.streams) s.finish(new QuicError('closed', 'connection closed'));
    queueMicrotask(() => this.ev.emit('close', info));
  }
  stats() {
    return { rttMs: 0, pathChanges: 0, bytesSent: 0, bytesReceived: 0 };
  }
  on<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.ev.on(event, listener);
  }
  off<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void {
    this.ev.off(event, listener);
  }
}

class MemServer extends EventEmitter implements QuicServer {
  readonly conns = new Set<MemConn>();
  constructor(
    readonly address: Address,
    readonly opts: ListenOptions,
    private readonly net: MemNet,
  ) {
    super();
  }
  async close(code = 0, reason = ''): Promise<void> {
    this.net.servers.delete(`${this.address.host}:${this.address.port}`);
    for (const c of this.conns) await c.close(code, reason);
  }
}

export class MemNet {
  servers = new Map<string, MemServer>();
  blackHole = false;
  private port = 40000;
  engine(): QuicEngine {
    return {
      name: 'matrixai',
      listen: async (opts) => {
        const address = { host: opts.host, port: opts.port || this.port++ };
        const s = new MemServer(address, opts, this);
        this.servers.set(`${address.host}:${address.port}`, s);
        return s;
      },
      connect: async (opts: ConnectOptions) => {
        const s = this.servers.get(`${opts.host}:${opts.port}`);
        if (!s || this.blackHole) throw new QuicError('timeout', `no answer from ${opts.host}:${opts.port}`);
        const alpn = opts.alpn.find((a) => s.opts.alpn.includes(a));
        if (!alpn) throw new QuicError('alpn', 'no common ALPN');
        const c = new MemConn(this, { host: opts.host, port: opts.port }, s.opts.tls.cert, alpn, true);
        const srv = new MemConn(this, { host: '127.0.0.1', port: 50000 }, opts.tls.cert, alpn, false);
        c.peer = srv;
        srv.peer = c;
        s.conns.add(srv);
        srv.on('close', () => s.conns.delete(srv));
        s.emit('connection', srv);
        return c;
      },
    };
  }
  /** Every connection dies as in a transport failure (no close frames), both ends seeing `info`. */
  killAll(info: CloseInfo = { code: 0, reason: 'transport failure', by: 'error', app: false }): void {
    for (const s of this.servers.values())
      for (const c of s.conns) {
        c.end(info);
        c.peer.end(info);
      }
  }
}
