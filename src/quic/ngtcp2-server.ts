/**
 * The ngtcp2 engine's server. One UDP socket; datagrams are routed to connections by
 * destination connection ID (ngtcp2-routes.ts), so a device keeps its connection through
 * any number of address changes. Nothing is built for a sender until its Initial passed
 * the cheap checks, address validation by Retry when the mode asks for it
 * (ngtcp2-retry.ts) and the handshake bounds; short-header packets for connections it
 * does not hold are answered with a rate-limited stateless reset (ngtcp2-reset.ts).
 */
import type dgram from 'node:dgram';
import { isIP } from 'node:net';
import { type Address, type CloseInfo, type ListenOptions, type QuicConnection, type QuicError, type QuicServer } from './engine.js';
import { loadNative, type NativeDatagram, type NativeServerContext } from './native-loader.js';
import { NATIVE_LIMITS } from './native-constants.js';
import { Ngtcp2Connection, now, type ConnectionOwner } from './ngtcp2-connection.js';
import { keyLog, qlogDir, type Ngtcp2EngineOptions } from './ngtcp2-options.js';
import { ResetLimiter, resetKeyOf } from './ngtcp2-reset.js';
import { DEFAULT_RETRY_MODE, RetryGate, type RetryMode } from './ngtcp2-retry.js';
import { CidRoutes } from './ngtcp2-routes.js';
import { bindSocket, resolveHost } from './ngtcp2-udp.js';
import { createPeerVerifier, type PeerVerifier } from '../tls/verify.js';
import { silentLogger, type Logger } from '../base/log.js';
import type { TlsMaterial } from '../tls/material.js';
import { applyUdpBuffers, DEFAULT_UDP_BUFFER_BYTES, type UdpBuffers } from './udp-buffers.js';

/** Connections still handshaking at once, per server (bounds memory under a flood). */
const MAX_PENDING = 512;
/**
 * Connections still handshaking at once from one IP address: one host cannot take the
 * whole MAX_PENDING, while a carrier NAT with many vehicles behind one address still gets
 * far more than it needs (a handshake is in progress for about one round trip).
 */
const MAX_PENDING_PER_HOST = 64;
/**
 * Retry mode 'auto': an Initial without a token is answered with a Retry once this many
 * handshakes are in progress, or half MAX_PENDING_PER_HOST from its address; the other
 * half of each bound stays for senders that proved their address.
 */
const RETRY_PENDING = MAX_PENDING / 2;
const RETRY_PENDING_PER_HOST = MAX_PENDING_PER_HOST / 2;
/** Stateless resets the server sends per second at most (each answers one packet, and is smaller). */
const RESETS_PER_S = 2000;
/** How often a new handshake may look at the TLS files for a change, ms. */
const CREDS_CHECK_MS = 1000;

interface ServerCreds {
  context: NativeServerContext;
  verifier: PeerVerifier | undefined;
  /** The files' stamp these were loaded at. */
  stamp: string;
  checkedAt: number;
}

/** Calls each listener with args; one that throws (a logging listener) leaves nothing to undo. */
function notifyAll<A extends unknown[]>(listeners: ((...args: A) => void)[], ...args: A): void {
  for (const l of listeners) {
    try {
      l(...args);
    } catch {
      /* nothing to undo */
    }
  }
}

type ServerListener = ((conn: QuicConnection) => void) | ((err: QuicError, from: Address) => void) | ((reason: string, from: Address) => void) | ((from: Address) => void);

export class Ngtcp2Server implements QuicServer {
  readonly address: Address;
  udpBuffers?: UdpBuffers;
  private readonly routes = new CidRoutes();
  private readonly conns = new Set<Ngtcp2Connection>();
  private readonly listeners = {
    connection: [] as ((c: QuicConnection) => void)[],
    handshakeError: [] as ((e: QuicError, from: Address) => void)[],
    refused: [] as ((reason: string, from: Address) => void)[],
    retry: [] as ((from: Address) => void)[],
  };
  private pending = 0;
  private readonly pendingByHost = new Map<string, number>();
  /** Datagrams that could not open a connection, by reason (exact counts). */
  private readonly refusedBy = new Map<string, number>();
  /** The TLS credentials new handshakes use (open connections keep the ones they started with). */
  private creds: ServerCreds;
  /** A change of the TLS files that did not load (not tried again until they change again). */
  private failedStamp: string | null = null;
  private closing = false;
  /** Datagrams dropped because they were not QUIC for any connection we know. */
  dropped = 0;
  /** Stateless resets sent (short-header packets for connections this process does not hold). */
  resets = 0;
  private readonly resetKey: Buffer;
  private readonly resetLimit = new ResetLimiter(RESETS_PER_S);
  private readonly retry: RetryGate;
  handshakes = 0;
  handshakeErrors = 0;
  private closedPathChanges = 0;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly opts: ListenOptions,
    private readonly eo: Ngtcp2EngineOptions,
  ) {
    // From the first key for the whole process: reset tokens stay valid across a credential reload.
    this.resetKey = resetKeyOf(opts.tls.key);
    this.creds = this.credsOf(opts.tls, opts.tls.source?.stamp() ?? '', Date.now());
    this.retry = new RetryGate(eo.retry ?? DEFAULT_RETRY_MODE, eo.retryTokenTtlMs);
    const a = sock.address();
    this.address = { host: a.address, port: a.port };
    sock.on('message', (msg, rinfo) => this.onMessage(msg, { host: rinfo.address, port: rinfo.port }));
    sock.on('error', () => undefined);
  }

  /** Parsed once per set of files: a new connection parses no PEM (and a junk datagram allocates nothing). */
  private credsOf(tls: TlsMaterial, stamp: string, at: number): ServerCreds {
    const verifyClients = (this.opts.requireClientCert ?? true) && tls.verifyPeer !== false;
    return {
      context: new (loadNative().ServerContext)({ cert: tls.cert, key: tls.key, ca: tls.ca }),
      verifier: verifyClients ? createPeerVerifier({ caPem: tls.ca, peer: 'client', revoked: tls.revoked }) : undefined,
      stamp,
      checkedAt: at,
    };
  }

  /**
   * The credentials for a new handshake: at most once a second, when the TLS files have
   * changed (a renewed certificate, a new CA), they are loaded again; files that do not
   * load (half written, a key that does not match) leave the current ones in use.
   */
  private credentials(): ServerCreds {
    const source = this.opts.tls.source;
    const t = Date.now();
    if (!source || t - this.creds.checkedAt < CREDS_CHECK_MS) return this.creds;
    this.creds.checkedAt = t;
    const stamp = source.stamp();
    if (stamp === this.creds.stamp || stamp === this.failedStamp) return this.creds;
    try {
      this.creds = this.credsOf({ ...source.load(), verifyPeer: this.opts.tls.verifyPeer }, stamp, t);
      this.failedStamp = null;
      this.log.info('TLS credentials reloaded: the certificate, key, CA or CRL files changed; new handshakes use them, open connections keep theirs');
    } catch (err) {
      this.failedStamp = stamp;
      this.log.warn(`TLS files changed but do not load (${(err as Error).message.slice(0, 200)}); new handshakes keep the credentials in use until the files change again`);
    }
    return this.creds;
  }

  private get log(): Logger {
    return this.eo.log ?? silentLogger();
  }

  on(event: 'connection' | 'handshakeError' | 'refused' | 'retry', listener: ServerListener): void {
    if (event === 'connection') this.listeners.connection.push(listener as (c: QuicConnection) => void);
    else if (event === 'handshakeError') this.listeners.handshakeError.push(listener as (e: QuicError, from: Address) => void);
    else if (event === 'retry') this.listeners.retry.push(listener as (from: Address) => void);
    else this.listeners.refused.push(listener as (reason: string, from: Address) => void);
  }

  /** Open connections (each has stats() with its path changes). */
  connections(): Ngtcp2Connection[] {
    return [...this.conns];
  }

  /**
   * Operations: handshakes, refusals, dropped datagrams (`refused` says why each datagram
   * that could not open a connection was dropped), connections still handshaking, path
   * changes (open and closed connections), and address validation: the Retry mode, Retry
   * packets sent, Retry tokens accepted and refused (these also under `refused`).
   */
  stats(): { handshakes: number; handshakeErrors: number; dropped: number; resets: number; open: number; pending: number; pathChanges: number; refused: Record<string, number>; retryMode: RetryMode; retries: number; tokensAccepted: number; tokensRefused: number } {
    let pathChanges = this.closedPathChanges;
    for (const c of this.conns) pathChanges += c.stats().pathChanges;
    const r = this.retry;
    return { handshakes: this.handshakes, handshakeErrors: this.handshakeErrors, dropped: this.dropped, resets: this.resets, open: this.conns.size, pending: this.pending, pathChanges, refused: Object.fromEntries(this.refusedBy), retryMode: r.mode, retries: r.sent, tokensAccepted: r.accepted, tokensRefused: r.refused };
  }

  async close(code = 0, reason = 'server shutting down'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const c of [...this.conns]) await c.close(code, reason);
    // Let the CONNECTION_CLOSE datagrams leave before the socket goes.
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    await new Promise<void>((resolve) => this.sock.close(() => resolve()));
  }

  private inFlight = 0;
  private send(d: NativeDatagram): void {
    this.inFlight++;
    this.sock.send(d.data, d.remotePort, d.remoteHost, () => this.inFlight--);
  }

  private onMessage(msg: Buffer, from: Address): void {
    if (this.closing) return;
    const native = loadNative();
    const hd = native.decodeCid(msg, NATIVE_LIMITS.scidLen);
    if (!hd) {
      this.dropped++;
      return;
    }
    const known = this.routes.get(hd.dcid);
    if (known) return known.receive(msg, this.address, from);
    if (!hd.long) return this.reset(msg, from);
    const cheap = this.admission(hd.supported, msg);
    if (cheap) return this.refuse(cheap, from);
    const v = this.retry.check(msg, from, this.pressure(from), now());
    if (v.kind === 'retry') return this.sendRetry(v.packet, from);
    if (v.kind === 'refuse') {
      if (v.close) this.answer(v.close, from);
      return this.refuse(v.why, from);
    }
    const full = this.bounds(from);
    if (full) return this.refuse(full, from);
    let conn: Ngtcp2Connection;
    try {
      const tls = this.opts.tls;
      const creds = this.credentials();
      const nc = new native.Connection(
        {
          server: true,
          gnutlsVerify: creds.verifier === undefined,
          context: creds.context,
          verifyPeer: tls.verifyPeer !== false,
          requireClientCert: this.opts.requireClientCert !== false,
          keyLogFile: keyLog(this.opts.keyLogFile),
          qlogDir: qlogDir(),
          resetKey: this.resetKey,
          originalDcid: v.odcid,
          alpn: this.opts.alpn,
          idleTimeoutMs: this.opts.idleTimeoutMs,
          keepAliveMs: this.opts.keepAliveMs,
          outageAfterMs: this.eo.outageAfterMs,
          outageProbeMs: this.eo.outageProbeMs,
          disableActiveMigration: this.eo.disableActiveMigration === true,
          localHost: this.address.host,
          localPort: this.address.port,
          remoteHost: from.host,
          remotePort: from.port,
        },
        msg,
        now(),
      );
      conn = new Ngtcp2Connection(nc, this.owner(from), true, this.address, from, creds.verifier, this.opts.alpn);
      this.routes.add(conn, [hd.dcid, ...nc.scids()]);
    } catch {
      return this.refuse('connection could not be set up', from);
    }
    this.pending++;
    this.pendingByHost.set(from.host, (this.pendingByHost.get(from.host) ?? 0) + 1);
    this.conns.add(conn);
    conn.receive(msg, this.address, from);
  }

  /** The cheap checks, in order: nothing is looked at further until a datagram passed them. '' passes it. */
  private admission(supported: boolean, msg: Buffer): string {
    if (!supported) return 'unsupported QUIC version';
    return loadNative().acceptInitial(msg);
  }

  /** The handshake bounds, in all and per address, the last check before a connection is built. '' admits it. */
  private bounds(from: Address): string {
    if (this.pending >= MAX_PENDING) return 'too many handshakes in progress';
    if ((this.pendingByHost.get(from.host) ?? 0) >= MAX_PENDING_PER_HOST) return 'too many handshakes from one address';
    return '';
  }

  /** Whether Retry mode 'auto' validates addresses now: handshakes in progress are many, in all or from this address. */
  private pressure(from: Address): boolean {
    return this.pending >= RETRY_PENDING || (this.pendingByHost.get(from.host) ?? 0) >= RETRY_PENDING_PER_HOST;
  }

  private sendRetry(packet: Buffer, from: Address): void {
    this.answer(packet, from);
    notifyAll(this.listeners.retry, from);
  }

  /** Sends a datagram made for a sender that has no connection (a Retry, a close, a reset). */
  private answer(data: Buffer, from: Address): void {
    this.send({ data, localHost: this.address.host, localPort: this.address.port, remoteHost: from.host, remotePort: from.port });
  }

  private refuse(why: string, from: Address): void {
    this.dropped++;
    this.refusedBy.set(why, (this.refusedBy.get(why) ?? 0) + 1);
    notifyAll(this.listeners.refused, why, from);
  }

  /**
   * A short-header packet for a connection we do not hold (ours before a restart, or one
   * we closed): a Stateless Reset tells its sender at once (RFC 9000 10.3), rate-limited.
   */
  private reset(msg: Buffer, from: Address): void {
    this.dropped++;
    if (!this.resetLimit.take(now())) return;
    const d = loadNative().statelessReset(this.resetKey, msg, NATIVE_LIMITS.scidLen);
    if (!d) return;
    this.resets++;
    this.answer(d, from);
  }

  private owner(from: Address): ConnectionOwner {
    let pendingCounted = true;
    const donePending = (): void => {
      if (!pendingCounted) return;
      pendingCounted = false;
      this.pending--;
      const n = (this.pendingByHost.get(from.host) ?? 1) - 1;
      if (n > 0) this.pendingByHost.set(from.host, n);
      else this.pendingByHost.delete(from.host);
    };
    return {
      send: (d) => this.send(d),
      onCid: (c, cid, added) => this.routes.update(c, cid, added),
      onReady: (c) => {
        donePending();
        this.handshakes++;
        for (const l of this.listeners.connection) {
          try {
            l(c);
          } catch {
            void c.close(1, 'server connection handler failed');
          }
        }
      },
      onFailed: (_c, err) => {
        donePending();
        this.handshakeErrors++;
        notifyAll(this.listeners.handshakeError, err, from);
      },
      onClosed: (c: Ngtcp2Connection, _info: CloseInfo) => {
        donePending();
        if (this.conns.delete(c)) this.closedPathChanges += c.stats().pathChanges;
        this.routes.remove(c);
      },
    };
  }
}

export async function listen(opts: ListenOptions, eo: Ngtcp2EngineOptions): Promise<QuicServer> {
  loadNative();
  const host = await resolveHost(opts.host);
  const sock = await bindSocket(isIP(host) === 6 ? 'udp6' : 'udp4', host, opts.port);
  const udpBuffers = applyUdpBuffers(sock, opts.udpBufferBytes ?? DEFAULT_UDP_BUFFER_BYTES, eo.log ?? silentLogger());
  const server = new Ngtcp2Server(sock, { ...opts, host }, eo);
  server.udpBuffers = udpBuffers;
  return server;
}
