/**
 * The one seam between the geostream/1.0 protocol and a QUIC implementation.
 * The protocol code (src/link, src/server) imports only this file; each engine
 * (src/quic/matrixai.ts over @matrixai/quic, src/quic/ngtcp2.ts over the
 * native addon) implements it. Both engines must pass the same test suite and
 * interoperate.
 *
 * Error contract (in the spirit of serialport's binding interface):
 * - connect()/listen() reject with QuicError (code says why: 'tls' for a refused
 *   certificate, either side's; 'alpn' for no common ALPN; 'timeout'; 'refused';
 *   'closed'; 'internal'). The message names the certificate and the reason.
 *   TLS 1.3 lets the server refuse the client's certificate after the client
 *   finished its handshake; connect() waits for the server's reply to our
 *   Finished, so such a refusal rejects connect() too (a refusal that comes even
 *   later arrives as 'close' with app false and code 0x100 + TLS alert).
 * - The server reports failed handshakes as 'handshakeError' (for logs and stats)
 *   and keeps serving everyone else.
 * - Once a connection is up, nothing throws out of event handlers: failures end the
 *   connection and arrive as one 'close' event with a CloseInfo.
 * - A stream write on a closed connection rejects with QuicError code 'closed'; a
 *   read on a stream the peer reset rejects with code 'closed' and appCode set.
 *
 * Shared pieces every engine uses: src/tls/verify.ts (peer verification:
 * fleet CA, validity, CRL, key usage, server name) and ./alerts.ts (TLS alert
 * codes in words).
 */

import type { TlsMaterial } from '../tls/material.js';

export interface Address {
  host: string;
  port: number;
}

export interface CommonOptions {
  /** ALPN protocols offered/accepted; geostream uses exactly ['geostream/1.0']. */
  alpn: string[];
  tls: TlsMaterial;
  /** QUIC max_idle_timeout in ms (geostream: protocol/transport.ts IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
  /** Send a PING when nothing was sent for this long (geostream: KEEP_ALIVE_MS). 0 = off. */
  keepAliveMs: number;
  /** Path to write TLS secrets in NSS key log format (SSLKEYLOGFILE), if set. */
  keyLogFile?: string;
}

export interface ConnectOptions extends CommonOptions {
  host: string;
  port: number;
  /** Name the server certificate must carry (default: host). */
  serverName?: string;
  /** Local address to bind; default the wildcard, unconnected (follows route changes). */
  localHost?: string;
  /** Give up the handshake after this long. */
  handshakeTimeoutMs?: number;
}

export interface ListenOptions extends CommonOptions {
  host: string;
  /** 0 picks a free port; see QuicServer.address. */
  port: number;
  /** Require and verify a client certificate (mutual TLS). Default true. */
  requireClientCert?: boolean;
  /**
   * Receive and send buffer of the UDP socket (SO_RCVBUF/SO_SNDBUF), best effort: the
   * kernel caps it (net.core.rmem_max), which is logged once. Default 4 MiB
   * (./udp-buffers.ts); 0 leaves the kernel default.
   */
  udpBufferBytes?: number;
}

export type StreamKind = 'bidi' | 'uni';

export interface QuicStream extends AsyncIterable<Uint8Array> {
  readonly id: number;
  readonly kind: StreamKind;
  /** True if we opened it. */
  readonly local: boolean;
  /**
   * Queues bytes; resolves when the engine has accepted them within its flow-control
   * and buffer limits (backpressure: await before writing more). Resolution means
   * buffered, not delivered; delivery is confirmed only by the application's ACKs.
   */
  write(data: Uint8Array): Promise<void>;
  /**
   * Bytes write() has taken that this stream still holds in memory (like Node's
   * `writableLength`): ngtcp2, queued or sent and not yet acknowledged by the peer's
   * QUIC stack; matrixai, not yet accepted by quiche (which takes at most the peer's
   * flow-control credit). Grows while the peer does not read, whatever its
   * application says; 0 once the stream is closed.
   */
  readonly bufferedBytes: number;
  /** Sends FIN after what is queued. */
  end(): Promise<void>;
  /** Abandons the stream in both directions with an application error code. */
  reset(code: number): void;
}

export interface CloseInfo {
  /** Application error code (ours or the peer's), or a transport error code. */
  code: number;
  /**
   * True: `code` is an application error code (CONNECTION_CLOSE type 0x1d, what
   * close() sends). False: a transport error code (e.g. 0x100 + TLS alert for a
   * refused certificate, 0x178 for no common ALPN); `reason` then says it in words.
   */
  app: boolean;
  reason: string;
  /** 'local': we closed it; 'peer': the peer did; 'idle': idle timeout; 'error': transport failure. */
  by: 'local' | 'peer' | 'idle' | 'error';
}

export interface PathChange {
  from: Address;
  to: Address;
}

export interface ConnectionStats {
  rttMs: number;
  /** Number of validated path changes seen on this connection. */
  pathChanges: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface QuicConnectionEvents {
  /** The peer opened a stream. */
  stream: (stream: QuicStream) => void;
  /** The peer's address (server side) or our path (client side) changed and was validated. */
  path: (change: PathChange) => void;
  /** Exactly once, when the connection is gone for good. */
  close: (info: CloseInfo) => void;
}

export interface QuicConnection {
  /** Stable for the connection's life (hex of the original destination connection id). */
  readonly id: string;
  /** The negotiated ALPN protocol. */
  readonly alpn: string;
  /** Current remote address. */
  readonly remote: Address;
  /** The peer's certificate chain, DER, leaf first (empty if it sent none). */
  peerCertificates(): Uint8Array[];
  openStream(kind: StreamKind): Promise<QuicStream>;
  /** Closes with an application error code and a reason the peer sees. */
  close(code: number, reason: string): Promise<void>;
  stats(): ConnectionStats;
  on<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void;
  off<E extends keyof QuicConnectionEvents>(event: E, listener: QuicConnectionEvents[E]): void;
}

export interface QuicServer {
  readonly address: Address;
  /** The UDP socket's buffers as the kernel reports them (engines that own a node socket). */
  readonly udpBuffers?: { recv: number; send: number };
  /** Stops accepting; closes every connection with the given code. */
  close(code?: number, reason?: string): Promise<void>;
  on(event: 'connection', listener: (conn: QuicConnection) => void): void;
  /** A handshake that failed (bad certificate, wrong ALPN, ...): for logs and stats. */
  on(event: 'handshakeError', listener: (err: QuicError, from: Address) => void): void;
  /**
   * A datagram dropped before any connection existed for it, and why (junk, a short
   * Initial, too many handshakes from one address, ...): for summarised logs. Engines
   * that do not see datagrams themselves never emit it.
   */
  on(event: 'refused', listener: (reason: string, from: Address) => void): void;
  /**
   * An Initial answered with a Retry (address validation, RFC 9000 8.1.2): nothing was
   * built for it; a client at that address comes back with the token. For summarised logs.
   */
  on(event: 'retry', listener: (from: Address) => void): void;
}

export interface QuicEngine {
  readonly name: 'matrixai' | 'ngtcp2';
  listen(opts: ListenOptions): Promise<QuicServer>;
  connect(opts: ConnectOptions): Promise<QuicConnection>;
}

export type QuicErrorCode = 'tls' | 'alpn' | 'timeout' | 'refused' | 'closed' | 'internal';

export class QuicError extends Error {
  override name = 'QuicError';
  constructor(
    readonly code: QuicErrorCode,
    message: string,
    /** For a stream the peer reset: its application error code. */
    readonly appCode?: number,
  ) {
    super(message);
  }
}
