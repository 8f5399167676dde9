/**
 * The one place that loads the ngtcp2 addon (native/). Literal paths only, so a
 * bundler can see and rewrite them: the host build (`make native`) and, for an
 * arm64 Node, the cross build (`make native-arm64`). Both sit two levels above
 * this file in src/ (tsx) and in dist/ (tsc output) alike.
 */
import { createRequire } from 'node:module';
import { QuicError } from './engine.js';
import { checkNativeConstants, type NativeEvent, type NativeStatus } from './native-constants.js';

/** A datagram the addon wants sent. */
export interface NativeDatagram {
  data: Buffer;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

export interface NativeEventObject {
  type: NativeEvent;
  id?: number;
  data?: Buffer;
  fin?: boolean;
  hasCode?: boolean;
  code?: number;
  fromHost?: string;
  fromPort?: number;
  toHost?: string;
  toPort?: number;
  local?: string;
  cid?: string;
}

export interface NativeInfo {
  alpn: string;
  odcid: string;
  handshake: boolean;
  rttMs: number;
  cwnd: number;
  bytesInFlight: number;
  ptoCount: number;
  bytesSent: number;
  bytesReceived: number;
  pathChanges: number;
  outage: boolean;
  /** The peer sent a Stateless Reset (it no longer holds this connection). */
  statelessReset: boolean;
  remoteHost: string;
  remotePort: number;
  localHost: string;
  localPort: number;
  tlsAlert: number;
  lastError: string;
  closeCode: number;
  closeReason: string;
  /** 0 transport, 1 application, 2 version negotiation, 3 idle close. */
  closeType: number;
}

/** A listener's certificate, key and CA, parsed once and shared by its connections. */
export interface NativeServerContext {
  readonly __nativeServerContext: never;
}

export interface NativeConnectionOptions {
  server: boolean;
  /** Server: the listener's parsed credentials (then cert, key and ca are not read). */
  context?: NativeServerContext;
  cert?: string;
  key?: string;
  ca?: string;
  verifyPeer?: boolean;
  requireClientCert?: boolean;
  /** Let GnuTLS verify the chain itself (when no JS verifier runs). Default true. */
  gnutlsVerify?: boolean;
  serverName?: string;
  keyLogFile?: string;
  alpn: string[];
  idleTimeoutMs: number;
  keepAliveMs: number;
  handshakeTimeoutMs?: number;
  outageAfterMs?: number;
  outageProbeMs?: number;
  disableActiveMigration?: boolean;
  /** Write qlog (JSON-SEQ) per connection into this directory. */
  qlogDir?: string;
  /** Server: key of the stateless reset tokens (16-64 bytes); absent: random tokens. */
  resetKey?: Uint8Array;
  /**
   * Server: the Initial's Retry token verified (retryToken), and this is the original
   * destination connection ID it held (8-20 bytes): the connection is made as after a Retry.
   */
  originalDcid?: Uint8Array;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

export interface NativeConnection {
  recv(pkt: Uint8Array, localHost: string, localPort: number, remoteHost: string, remotePort: number, nowMs: number): NativeStatus;
  /** Datagrams to send, or a NativeStatus on a fatal error. */
  flush(nowMs: number): NativeDatagram[] | NativeStatus;
  /** Absolute time (same clock as nowMs) of the next timer, or -1. */
  expiry(): number;
  handleExpiry(nowMs: number): NativeStatus;
  openStream(bidi: boolean): number;
  /** Returns the stream's unacknowledged bytes, or -1 when it cannot take data. */
  write(id: number, data: Uint8Array | null, fin: boolean): number;
  unacked(id: number): number;
  shutdownStream(id: number, code: number): number;
  consumed(id: number, bytes: number): void;
  close(code: number, reason: string, app: boolean, nowMs: number): NativeDatagram | null;
  closeAfterError(nowMs: number): NativeDatagram | null;
  /** Immediate migration to a new local address; '' on success, else the reason. */
  migrate(localHost: string, localPort: number, nowMs: number): string;
  /** One full-size DATAGRAM frame now (route changed: room for the server to answer at once). */
  pad(nowMs: number): NativeDatagram | null;
  setKeepAlive(ms: number): void;
  drain(): NativeEventObject[];
  info(): NativeInfo;
  peerCerts(): Buffer[];
  scids(): string[];
  destroy(): void;
}

export interface NativeBinding {
  Connection: new (opts: NativeConnectionOptions, initialPacket: Uint8Array | null, nowMs: number) => NativeConnection;
  ServerContext: new (tls: { cert: string; key: string; ca: string }) => NativeServerContext;
  /** '' when pkt may open a connection (ngtcp2_accept: an Initial of at least 1200 bytes), else why not. Allocates nothing. */
  acceptInitial(pkt: Uint8Array): string;
  decodeCid(pkt: Uint8Array, shortDcidLen: number): { version: number; dcid: string; scid: string; long: boolean; supported: boolean } | null;
  /** The Stateless Reset answering a short-header packet for an unknown connection ID (null: too short to answer). */
  statelessReset(resetKey: Uint8Array, pkt: Uint8Array, dcidLen: number): Buffer | null;
  /** The Retry answering an acceptable Initial from that address, its token sealed with retrySecret (16-64 bytes); null if none could be made. */
  retry(retrySecret: Uint8Array, pkt: Uint8Array, remoteHost: string, remotePort: number, nowMs: number): Buffer | null;
  /**
   * The acceptable Initial's Retry token checked for that address, made at most ttlMs before
   * nowMs: 'none' (no token, or not a Retry token), 'valid' (odcid: the original destination
   * connection ID it holds) or 'invalid'. Allocates nothing in the addon.
   */
  retryToken(retrySecret: Uint8Array, pkt: Uint8Array, remoteHost: string, remotePort: number, ttlMs: number, nowMs: number): { status: 'none' | 'valid' | 'invalid'; odcid?: Buffer };
  /** CONNECTION_CLOSE INVALID_TOKEN answering an acceptable Initial (null if it does not decode). */
  invalidTokenClose(pkt: Uint8Array): Buffer | null;
  version(): string;
  /** The numbers shared with this side (native/src/constants.h), checked at load (native-constants.ts). */
  constants: Record<'events' | 'status' | 'limits' | 'defaults' | 'errors', Record<string, number | string>>;
}

const require = createRequire(import.meta.url);
let cached: NativeBinding | undefined;

/** The addon is not built for this machine (as opposed to built from other sources). */
class NotBuilt extends QuicError {}

function load(): NativeBinding {
  const errors: string[] = [];
  try {
    return require('../../native/build/Release/geostream_quic.node') as NativeBinding;
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]!);
  }
  try {
    return require('../../native/build-arm64/Release/geostream_quic.node') as NativeBinding;
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]!);
  }
  throw new NotBuilt('internal', `the ngtcp2 addon is not built for ${process.arch} (run \`make native\`): ${errors.join('; ')}`);
}

/**
 * The addon, loaded once. Throws QuicError('internal') when it is not built, or when
 * its constants differ from this side's (the message names the constant).
 */
export function loadNative(): NativeBinding {
  if (cached) return cached;
  const b = load();
  checkNativeConstants(b.constants);
  cached = b;
  return cached;
}

/**
 * True when the addon loads on this machine (tests use it to decide, and say so).
 * An addon that loads but does not match this build throws: that is a broken build,
 * not a missing one.
 */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch (e) {
    if (e instanceof NotBuilt) return false;
    throw e;
  }
}
