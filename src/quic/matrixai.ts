/**
 * QuicEngine over @matrixai/quic 2.0.9 (quiche 0.18 inside; ESM only; linux-x64,
 * darwin and win32 builds only, no arm64).
 *
 * - TLS: both sides verify the peer with src/tls/verify.ts (chain to the
 *   fleet CA, validity, revocation, key usage, server name) through the library's
 *   verifyCallback; a refusal is a TLS alert the peer sees as transport error
 *   0x100 + alert. The server requests a client certificate unless
 *   requireClientCert is false.
 * - ALPN: quiche negotiates it; the negotiated protocol is checked on both sides
 *   and anything outside opts.alpn is refused.
 * - We own the UDP sockets (QUICSocket instances we start and stop) so that a
 *   malformed datagram that makes the library throw is caught and counted instead
 *   of becoming an unhandled rejection, and the client's socket is unconnected
 *   and bound to the wildcard address.
 * - Path changes: the server follows the client's first address change per
 *   connection (quiche keeps 2 paths and never frees them: a second change is
 *   dropped); 'path' fires on the side that sees the peer move. The client side
 *   cannot migrate actively.
 */
import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EventEmitter } from 'node:events';
import { QUICClient, QUICServer, QUICSocket, errors as qerr, events as qev, native } from '@matrixai/quic';
import type { QUICConnection } from '@matrixai/quic';
import Logger, { LogLevel } from '@matrixai/logger';
import { silentLogger, type Logger as Log } from '../base/log.js';
import { createPeerVerifier, type PeerVerifier, type VerifyResult } from '../tls/verify.js';
import { alertOf, CRYPTO_ERROR_BASE, describeCloseCode } from './alerts.js';
import { TLS_ALERT } from '../tls/alerts.js';
import { applyUdpBuffers, DEFAULT_UDP_BUFFER_BYTES, type BufferSocket, type UdpBuffers } from './udp-buffers.js';
import { MxConnection, codeToReason, reasonToCode, closeInfoFrom, isPeerError } from './matrixai-conn.js';
import {
  QuicError,
  type Address,
  type CommonOptions,
  type ConnectOptions,
  type ListenOptions,
  type QuicConnection,
  type QuicEngine,
  type QuicServer,
} from './engine.js';

const EVENT_ERROR = 'EventError';
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const enc = new TextEncoder();

function quietLogger(): Logger {
  return new Logger('quic', LogLevel.SILENT);
}

/** Library config shared by both sides. */
function baseConfig(opts: CommonOptions, verifier: PeerVerifier | undefined, onReject: (r: VerifyResult & { ok: false }) => void) {
  if (opts.alpn.length === 0) throw new QuicError('alpn', 'no ALPN protocol configured');
  if (opts.keepAliveMs > 0 && opts.idleTimeoutMs > 0 && opts.keepAliveMs >= opts.idleTimeoutMs) {
    throw new QuicError('internal', `keep-alive (${opts.keepAliveMs} ms) must be shorter than the idle timeout (${opts.idleTimeoutMs} ms)`);
  }
  return {
    // An empty cert/key means "present none" (tests of the server's refusal).
    key: opts.tls.key || undefined,
    cert: opts.tls.cert || undefined,
    ca: opts.tls.ca,
    applicationProtos: opts.alpn,
    maxIdleTimeout: opts.idleTimeoutMs,
    keepAliveIntervalTime: opts.keepAliveMs > 0 ? opts.keepAliveMs : undefined,
    logKeys: opts.keyLogFile,
    disableActiveMigration: false,
    readableChunkSize: 64 * 1024,
    verifyPeer: verifier !== undefined,
    verifyCallback: verifier
      ? async (certs: Uint8Array[]) => {
          try {
            const r = verifier.verify(certs);
            if (r.ok) return undefined;
            onReject(r);
            return CRYPTO_ERROR_BASE + r.alert;
          } catch {
            return CRYPTO_ERROR_BASE + TLS_ALERT.internal_error;
          }
        }
      : undefined,
  };
}

/** Guards a socket's datagram handler: a datagram that makes the library throw is dropped and counted. */
function guardSocket(socket: QUICSocket, log: Log, counters: { badDatagrams: number }): void {
  const s = socket as unknown as { handleSocketMessage: (d: Buffer, r: unknown) => Promise<void> };
  const orig = s.handleSocketMessage;
  s.handleSocketMessage = async (data, remote) => {
    try {
      await orig(data, remote);
    } catch (err) {
      counters.badDatagrams++;
      log.debug(`quic: dropped a datagram the library could not handle: ${(err as Error).message}`);
    }
  };
  socket.addEventListener(EVENT_ERROR, (evt: Event) => {
    log.warn(`quic socket: internal error: ${String((evt as CustomEvent).detail)}`);
  });
}

/** Maps a failed handshake (client side) to a QuicError with a clear message. */
function handshakeError(err: unknown, rejected: VerifyResult | undefined, target: string): QuicError {
  if (rejected && !rejected.ok) return new QuicError('tls', `${target}: refused the server's certificate: ${rejected.message}`);
  const chain: unknown[] = [];
  for (let e: unknown = err; e && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  if (chain.some((e) => e instanceof qerr.ErrorQUICClientCreateTimeout || e instanceof qerr.ErrorQUICConnectionStartTimeout)) {
    return new QuicError('timeout', `${target}: no handshake within the timeout (server down or unreachable?)`);
  }
  for (const e of chain) {
    const info = (e as { data?: { errorCode?: unknown; isApp?: boolean } }).data;
    if (info && typeof info.errorCode === 'number') {
      const ci = closeInfoFrom(e, 0);
      const alert = info.isApp ? undefined : alertOf(info.errorCode);
      if (alert === TLS_ALERT.no_application_protocol) return new QuicError('alpn', `${target}: ${ci.reason}`);
      if (alert !== undefined) {
        const who = isPeerError(e) ? 'the server refused us' : 'handshake failed';
        return new QuicError('tls', `${target}: ${who}: ${ci.reason}`);
      }
      return new QuicError('refused', `${target}: connection closed during the handshake: ${ci.reason || describeCloseCode(info.errorCode)}`);
    }
  }
  return new QuicError('internal', `${target}: ${(err as Error)?.message ?? String(err)}`);
}

const cryptoOps = {
  async randomBytes(data: ArrayBuffer): Promise<void> {
    randomBytes(data.byteLength).copy(Buffer.from(data));
  },
};

function serverCrypto() {
  const key = randomBytes(32);
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength),
    ops: {
      async sign(k: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer> {
        const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
        return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength);
      },
      async verify(k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer): Promise<boolean> {
        const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
        const s = Buffer.from(sig);
        return s.length === mac.length && timingSafeEqual(s, mac);
      },
    },
  };
}

/**
 * QUICServer that also reports failed handshakes: the library swallows them, so we
 * watch every connection's events from the moment it is created (its EventAll goes
 * through handleEventQUICConnection) and turn an error on a not-yet-accepted
 * connection into 'handshakeError'. It also keeps streams a connection opened
 * before it was handed out.
 */
class WatchedServer extends QUICServer {
  onPreAcceptError: (conn: QUICConnection, err: unknown) => void = () => undefined;
  constructor(opts: ConstructorParameters<typeof QUICServer>[0]) {
    super(opts);
    const forward = this.handleEventQUICConnection;
    this.handleEventQUICConnection = (evt) => {
      const inner = (evt as unknown as { detail: unknown }).detail;
      if (inner instanceof qev.EventQUICConnectionError) this.onPreAcceptError(evt.target as unknown as QUICConnection, inner.detail);
      forward(evt);
    };
  }
}

class MxServer implements QuicServer {
  udpBuffers?: UdpBuffers;
  private readonly ee = new EventEmitter();
  private readonly accepted = new WeakSet<QUICConnection>();
  private readonly reported = new WeakSet<QUICConnection>();
  constructor(
    private readonly server: WatchedServer,
    /** Datagrams the library threw on (malformed or hostile): dropped and counted. */
    readonly counters: { badDatagrams: number },
    private readonly socket: QUICSocket,
    private readonly opts: ListenOptions,
    private readonly verifier: PeerVerifier | undefined,
    private readonly log: Log,
  ) {
    server.onPreAcceptError = (conn, err) => this.preAcceptError(conn, err);
    server.addEventListener(qev.EventQUICServerConnection.name, (evt: Event) => {
      this.accept((evt as unknown as { detail: QUICConnection }).detail);
    });
    server.addEventListener(EVENT_ERROR, (evt: Event) => {
      this.log.warn(`quic server: internal error: ${String((evt as CustomEvent).detail)}`);
    });
  }

  get address(): Address {
    return { host: this.socket.host, port: this.socket.port };
  }

  private preAcceptError(conn: QUICConnection, err: unknown): void {
    if (this.accepted.has(conn) || this.reported.has(conn)) return;
    this.reported.add(conn);
    const from = { host: conn.remoteHost, port: conn.remotePort };
    const info = closeInfoFrom(err, this.opts.idleTimeoutMs);
    const alert = info.app ? undefined : alertOf(info.code);
    let qe: QuicError;
    if (alert === TLS_ALERT.no_application_protocol) {
      qe = new QuicError('alpn', `client offered no protocol we speak (we accept ${this.opts.alpn.join(', ')})`);
    } else if (alert !== undefined) {
      let detail = info.reason;
      if (this.verifier && info.by === 'local') {
        let chain: Uint8Array[] = [];
        try {
          chain = conn.getRemoteCertsChain();
        } catch {
          // gone
        }
        const r = this.verifier.verify(chain);
        if (!r.ok) detail = r.message;
      }
      qe = new QuicError('tls', `refused client: ${detail}`);
    } else if (err instanceof qerr.ErrorQUICConnectionIdleTimeout || /start timeout/.test((err as Error)?.message ?? '')) {
      qe = new QuicError('timeout', `client handshake did not complete within ${DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000} s`);
    } else {
      qe = new QuicError('refused', `handshake failed: ${info.reason}`);
    }
    this.ee.emit('handshakeError', qe, from);
  }

  private accept(conn: QUICConnection): void {
    this.accepted.add(conn);
    const mx = new MxConnection(
      conn,
      { stop: (o) => conn.stop({ ...o, force: true }) },
      this.opts.idleTimeoutMs,
      this.log,
    );
    if (!this.opts.alpn.includes(mx.alpn)) {
      this.ee.emit('handshakeError', new QuicError('alpn', `client negotiated '${mx.alpn}', not one of ${this.opts.alpn.join(', ')}`), mx.remote);
      void conn.stop({ isApp: false, errorCode: CRYPTO_ERROR_BASE + TLS_ALERT.no_application_protocol, reason: new Uint8Array(), force: true });
      return;
    }
    this.ee.emit('connection', mx);
  }

  async close(code = 0, reason = 'server shutting down'): Promise<void> {
    try {
      await this.server.stop({ isApp: true, errorCode: code, reason: enc.encode(reason), force: true });
    } finally {
      await this.socket.stop({ force: true });
    }
  }

  // 'refused' and 'retry' are never emitted: @matrixai/quic handles junk datagrams inside its native part.
  on(event: 'connection' | 'handshakeError' | 'refused' | 'retry', listener: (...args: never[]) => void): void {
    this.ee.on(event, listener as (...args: unknown[]) => void);
  }
}

let nativeChecked = false;

/**
 * The packaged executable replaces the library's native binding with a stub where
 * none exists (linux-arm64): fail listen/connect with a clear error instead of a
 * server that silently refuses every handshake.
 */
function ensureNative(): void {
  if (nativeChecked) return;
  try {
    new native.quiche.Config();
  } catch (err) {
    throw new QuicError('internal', `QUIC engine 'matrixai' is not available on ${process.platform}-${process.arch}: ${(err as Error).message}`);
  }
  nativeChecked = true;
}

export interface MatrixaiEngineOptions {
  log?: Log;
}

export class MatrixaiEngine implements QuicEngine {
  readonly name = 'matrixai' as const;
  private readonly log: Log;
  constructor(opts: MatrixaiEngineOptions = {}) {
    this.log = opts.log ?? silentLogger();
  }

  async listen(opts: ListenOptions): Promise<QuicServer> {
    ensureNative();
    const verifyClients = (opts.requireClientCert ?? true) && opts.tls.verifyPeer !== false;
    const verifier = verifyClients ? createPeerVerifier({ caPem: opts.tls.ca, peer: 'client', revoked: opts.tls.revoked }) : undefined;
    const socket = new QUICSocket({ logger: quietLogger() });
    const counters = { badDatagrams: 0 };
    guardSocket(socket, this.log, counters);
    try {
      await socket.start({ host: opts.host, port: opts.port });
    } catch (err) {
      throw new QuicError('internal', `cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
    }
    // the library keeps its dgram socket to itself (a protected field)
    const udpBuffers = applyUdpBuffers((socket as unknown as { socket: BufferSocket }).socket, opts.udpBufferBytes ?? DEFAULT_UDP_BUFFER_BYTES, this.log);
    const server = new WatchedServer({
      crypto: serverCrypto(),
      config: baseConfig(opts, verifier, () => undefined) as ConstructorParameters<typeof QUICServer>[0]['config'],
      socket,
      reasonToCode,
      codeToReason,
      minIdleTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      logger: quietLogger(),
    });
    const mx = new MxServer(server, counters, socket, opts, verifier, this.log);
    mx.udpBuffers = udpBuffers;
    try {
      await server.start();
    } catch (err) {
      await socket.stop({ force: true });
      throw new QuicError('internal', `cannot start the QUIC server: ${(err as Error).message}`);
    }
    return mx;
  }

  async connect(opts: ConnectOptions): Promise<QuicConnection> {
    ensureNative();
    const target = `${opts.host}:${opts.port}`;
    let host = opts.host;
    if (isIP(host) === 0) {
      try {
        host = (await lookup(host)).address;
      } catch (err) {
        throw new QuicError('refused', `${target}: cannot resolve ${opts.host}: ${(err as Error).message}`);
      }
    }
    const verifier =
      opts.tls.verifyPeer === false ? undefined : createPeerVerifier({ caPem: opts.tls.ca, peer: 'server', serverName: opts.serverName ?? opts.host, revoked: opts.tls.revoked });
    let rejected: VerifyResult | undefined;
    const socket = new QUICSocket({ logger: quietLogger() });
    guardSocket(socket, this.log, { badDatagrams: 0 });
    const localHost = opts.localHost ?? (isIP(host) === 6 ? '::' : '0.0.0.0');
    try {
      await socket.start({ host: localHost, port: 0 });
    } catch (err) {
      throw new QuicError('internal', `${target}: cannot bind a UDP socket on ${localHost}: ${(err as Error).message}`);
    }
    let client: QUICClient;
    try {
      client = await QUICClient.createQUICClient(
        {
          host,
          port: opts.port,
          serverName: opts.serverName ?? opts.host,
          socket,
          crypto: { ops: cryptoOps },
          config: baseConfig(opts, verifier, (r) => (rejected = r)),
          reasonToCode,
          codeToReason,
          logger: quietLogger(),
        },
        { timer: opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
      );
    } catch (err) {
      await socket.stop({ force: true }).catch(() => undefined);
      throw handshakeError(err, rejected, target);
    }
    client.addEventListener(EVENT_ERROR, (evt: Event) => {
      this.log.warn(`quic client: internal error: ${String((evt as CustomEvent).detail)}`);
    });
    const conn = new MxConnection(
      client.connection,
      {
        stop: (o) => client.destroy({ ...o, force: true }),
        onGone: () => socket.stop({ force: true }),
      },
      opts.idleTimeoutMs,
      this.log,
    );
    if (!opts.alpn.includes(conn.alpn)) {
      await client.destroy({ isApp: false, errorCode: CRYPTO_ERROR_BASE + TLS_ALERT.no_application_protocol, reason: new Uint8Array(), force: true });
      throw new QuicError('alpn', `${target}: server negotiated '${conn.alpn}', not one of ${opts.alpn.join(', ')}`);
    }
    await this.confirm(conn);
    const closed = conn.closed;
    if (closed) {
      const alert = closed.app ? undefined : alertOf(closed.code);
      const code = alert === TLS_ALERT.no_application_protocol ? 'alpn' : alert !== undefined ? 'tls' : 'refused';
      throw new QuicError(code, `${target}: the server ${closed.by === 'peer' ? 'refused us' : 'closed'} right after the handshake: ${closed.reason}`);
    }
    return conn;
  }

  /**
   * TLS 1.3 lets the server refuse our certificate after we already consider the
   * handshake done. Wait for the server's next datagram (its reply to our
   * Finished: HANDSHAKE_DONE or the refusal) plus a short settle, so such a
   * refusal rejects connect() instead of surfacing as a later 'close'.
   */
  private async confirm(conn: MxConnection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([conn.nextRecv(), new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
    clearTimeout(timer);
    const settle = Math.min(100, Math.max(5, conn.stats().rttMs * 2));
    await new Promise((r) => setTimeout(r, settle));
  }
}
