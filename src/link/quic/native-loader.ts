/**
 * The one place that loads the ngtcp2 addon (native/). Literal paths only, so a
 * bundler can see and rewrite them: the host build (`make native`) and, for an
 * arm64 Node, the cross build (`make native-arm64`). Both sit three levels above
 * this file in src/ (tsx) and in dist/ (tsc output) alike.
 */
import { createRequire } from 'node:module';
import { QuicError } from './engine.js';

/** A datagram the addon wants sent. */
export interface NativeDatagram {
  data: Buffer;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

export enum NativeEvent {
  Handshake = 1,
  Confirmed = 2,
  StreamOpen = 3,
  StreamData = 4,
  StreamClose = 5,
  StreamReset = 6,
  StopSending = 7,
  StreamsCredit = 8,
  Path = 9,
  ScidNew = 10,
  ScidRetired = 11,
  Acked = 12,
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

export enum NativeStatus {
  Ok = 0,
  Draining = -1,
  Error = -2,
  Idle = -3,
  Drop = -4,
  HandshakeTimeout = -5,
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

export interface NativeConnectionOptions {
  server: boolean;
  cert: string;
  key: string;
  ca: string;
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
  decodeCid(pkt: Uint8Array, shortDcidLen: number): { version: number; dcid: string; scid: string; long: boolean; supported: boolean } | null;
  /** The Stateless Reset answering a short-header packet for an unknown connection ID (null: too short to answer). */
  statelessReset(resetKey: Uint8Array, pkt: Uint8Array, dcidLen: number): Buffer | null;
  version(): string;
}

const require = createRequire(import.meta.url);
let cached: NativeBinding | undefined;

export function loadNative(): NativeBinding {
  if (cached) return cached;
  const errors: string[] = [];
  try {
    cached = require('../../../native/build/Release/geostream_quic.node') as NativeBinding;
    return cached;
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]!);
  }
  try {
    cached = require('../../../native/build-arm64/Release/geostream_quic.node') as NativeBinding;
    return cached;
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]!);
  }
  throw new QuicError('internal', `the ngtcp2 addon is not built for ${process.arch} (run \`make native\`): ${errors.join('; ')}`);
}

/** True when the addon loads on this machine (tests use it to decide, and say so). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
