/**
 * QuicEngine over ngtcp2 (native/ addon, loaded by native-loader.ts). JavaScript
 * owns the UDP sockets (unconnected, wildcard-bound on the device, so a route
 * change is followed passively) and the timers; the addon does QUIC and TLS.
 *
 * Device side: watches its route to the server and, when it changes, binds a new
 * socket and migrates at once (new connection ID, path validation by the peer).
 * Server side: routes datagrams by destination connection ID, so a device keeps
 * its connection through any number of address changes.
 */
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  QuicError,
  type Address,
  type CloseInfo,
  type ConnectOptions,
  type ListenOptions,
  type QuicConnection,
  type QuicEngine,
  type QuicServer,
} from './engine.js';
import { loadNative, type NativeDatagram } from './native-loader.js';
import { Ngtcp2Connection, now, type ConnectionOwner } from './ngtcp2-connection.js';
import { watchRoute } from './route-watch.js';
import { createPeerVerifier, type PeerVerifier } from '../tls/verify.js';
import { silentLogger, type Logger } from '../../log.js';
import { applyUdpBuffers, DEFAULT_UDP_BUFFER_BYTES, type UdpBuffers } from './udp-buffers.js';

/** Length of the connection IDs we issue (routing key on the server). */
const SCID_LEN = 16;
/** Connections still handshaking at once, per server (bounds memory under a flood). */
const MAX_PENDING = 512;
/** Longest we hold packets while the route is in flux (netlink event to route check). */
const ROUTE_HOLD_MS = 100;
/** Keep a socket we migrated away from open this long for late packets. */
const OLD_SOCKET_GRACE_MS = 5000;
/** Stateless resets the server sends per second at most (each answers one packet, and is smaller). */
const RESETS_PER_S = 2000;

/**
 * The server's stateless reset key, derived from its TLS private key: the same after a
 * restart (so a restarted server resets the connections its predecessor held and their
 * devices reconnect at once instead of waiting for a timeout), secret as long as the
 * key is, and different for every server key.
 */
export function resetKeyOf(serverKeyPem: string): Buffer {
  return createHmac('sha256', serverKeyPem).update('geostream/1.0 QUIC stateless reset key').digest();
}

export interface Ngtcp2EngineOptions {
  /** Where the server's socket-buffer warning goes (once per process). */
  log?: Logger;
  /**
   * Device: what to do when the route to the server changes (the socket is unconnected
   * on the wildcard address, so the kernel already sends on the new route and the
   * server follows that passively).
   * - 'fallback' (default): migrate actively (new socket, new connection ID) only if
   *   nothing arrives from the server within activeFallbackMs of the change;
   * - 'always': migrate actively at once on every change (holding packets while the
   *   route is in flux). Works, but ngtcp2 0.12.1's server occasionally closes with
   *   CONNECTION_ID_LIMIT when a passive and an active move overlap (fixed upstream in
   *   ngtcp2 1ffa646c), so it is not the default with Debian's library;
   * - 'off' (or false): passive only.
   */
  activeMigration?: 'fallback' | 'always' | 'off' | boolean;
  /** 'fallback' mode: silence after a route change that triggers an active migration, ms (default 500). */
  activeFallbackMs?: number;
  /** Server: tell clients not to migrate actively (transport parameter; default false). */
  disableActiveMigration?: boolean;
  /** Route poll interval, ms (default 1000; `ip monitor` events act at once). */
  routePollMs?: number;
  /** Silence (with data in flight) that counts as an outage, ms (default 1500). */
  outageAfterMs?: number;
  /** Probe interval during an outage, ms (default 800): bounds recovery after the path returns. Each probe is a small PING (about 45 bytes) that stays in flight until the path returns: 180 s of them is about 10 KB, under the initial congestion window (about 12 KB), which they must not exhaust. */
  outageProbeMs?: number;
}

export function createNgtcp2Engine(engineOpts: Ngtcp2EngineOptions = {}): QuicEngine {
  return {
    name: 'ngtcp2',
    listen: (opts) => listen(opts, engineOpts),
    connect: (opts) => connect(opts, engineOpts),
  };
}

export const ngtcp2Engine: QuicEngine = createNgtcp2Engine();

function bindSocket(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const onErr = (e: Error): void => reject(new QuicError('internal', `cannot bind UDP ${host}:${port}: ${e.message}`));
    s.once('error', onErr);
    s.bind(port, host, () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
}

async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (e) {
    throw new QuicError('refused', `cannot resolve ${host}: ${(e as Error).message}`);
  }
}

function keyLog(opt: string | undefined): string | undefined {
  return opt ?? (process.env.SSLKEYLOGFILE || undefined);
}

/** qlog output (one file per connection), like SSLKEYLOGFILE an operator's switch: GEOSTREAM_QLOG_DIR. */
function qlogDir(): string | undefined {
  return process.env.GEOSTREAM_QLOG_DIR || undefined;
}

// ---------------------------------------------------------------- client

async function connect(opts: ConnectOptions, eo: Ngtcp2EngineOptions): Promise<QuicConnection> {
  const native = loadNative();
  const remoteHost = await resolveHost(opts.host);
  const v6 = isIP(remoteHost) === 6;
  const type = v6 ? 'udp6' : 'udp4';
  const wildcard = v6 ? '::' : '0.0.0.0';
  const localHost = opts.localHost ?? wildcard;
  const sockets = new Map<number, dgram.Socket>();
  let sock = await bindSocket(type, localHost, 0);
  let localPort = sock.address().port;
  sockets.set(localPort, sock);

  let conn: Ngtcp2Connection | null = null;
  let unwatch: (() => void) | null = null;
  let settle: { resolve: (c: QuicConnection) => void; reject: (e: Error) => void } | null = null;
  const result = new Promise<QuicConnection>((resolve, reject) => (settle = { resolve, reject }));

  const closeSockets = (): void => {
    for (const s of sockets.values()) s.close();
    sockets.clear();
  };
  const send = (d: NativeDatagram): void => {
    const s = sockets.get(d.localPort) ?? sock;
    s.send(d.data, d.remotePort, d.remoteHost, () => undefined);
  };
  const owner: ConnectionOwner = {
    send,
    onReady: (c) => {
      settle?.resolve(c);
      settle = null;
      const mode = eo.activeMigration === true || eo.activeMigration === undefined ? 'fallback' : eo.activeMigration === false ? 'off' : eo.activeMigration;
      if (mode !== 'off' && opts.localHost === undefined) {
        unwatch =
          mode === 'always'
            ? watchRoute(remoteHost, eo.routePollMs, {
                onChange: () => migrate(),
                onSuspect: () => c.hold(ROUTE_HOLD_MS),
                onSettled: () => c.hold(0),
              })
            : watchRoute(remoteHost, eo.routePollMs, {
                onSuspect: () => c.pad(),
                onChange: () => {
                  const rx = c.stats().bytesReceived;
                  setTimeout(() => {
                    if (c.stats().bytesReceived === rx) void migrate();
                  }, eo.activeFallbackMs ?? 500).unref();
                },
              });
      }
    },
    onFailed: (_c, err) => {
      settle?.reject(err);
      settle = null;
    },
    onClosed: () => {
      unwatch?.();
      unwatch = null;
      setImmediate(closeSockets);
    },
  };

  const listenOn = (s: dgram.Socket, port: number): void => {
    s.on('message', (msg, rinfo) => conn?.receive(msg, { host: localHost, port }, { host: rinfo.address, port: rinfo.port }));
    s.on('error', () => undefined); // ICMP errors and the like: QUIC's timers decide
  };
  listenOn(sock, localPort);

  // Active migration: a fresh socket (the kernel picks the new route's source
  // address for it) and an immediate move to it with a new connection ID.
  let migrating = false;
  const migrate = async (): Promise<void> => {
    if (!conn || migrating) return;
    migrating = true;
    try {
      const fresh = await bindSocket(type, localHost, 0);
      const port = fresh.address().port;
      sockets.set(port, fresh);
      listenOn(fresh, port);
      const why = conn.migrate({ host: localHost, port });
      if (why) {
        sockets.delete(port);
        fresh.close();
        return;
      }
      const old = sock;
      const oldPort = localPort;
      sock = fresh;
      localPort = port;
      setTimeout(() => {
        if (sockets.get(oldPort) === old) {
          sockets.delete(oldPort);
          old.close();
        }
      }, OLD_SOCKET_GRACE_MS).unref();
    } catch {
      // No socket right now (e.g. no address at all): passive rebinding still applies.
    } finally {
      migrating = false;
    }
  };

  const verifier =
    opts.tls.verifyPeer === false ? undefined : createPeerVerifier({ caPem: opts.tls.ca, peer: 'server', serverName: opts.serverName ?? opts.host, revoked: opts.tls.revoked });
  try {
    const nc = new native.Connection(
      {
        server: false,
        gnutlsVerify: verifier === undefined,
        cert: opts.tls.cert,
        key: opts.tls.key,
        ca: opts.tls.ca,
        verifyPeer: opts.tls.verifyPeer !== false,
        serverName: opts.serverName ?? opts.host,
        keyLogFile: keyLog(opts.keyLogFile),
        qlogDir: qlogDir(),
        alpn: opts.alpn,
        idleTimeoutMs: opts.idleTimeoutMs,
        keepAliveMs: opts.keepAliveMs,
        handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
        outageAfterMs: eo.outageAfterMs,
        outageProbeMs: eo.outageProbeMs,
        localHost,
        localPort,
        remoteHost,
        remotePort: opts.port,
      },
      null,
      now(),
    );
    conn = new Ngtcp2Connection(nc, owner, false, { host: localHost, port: localPort }, { host: remoteHost, port: opts.port }, verifier, opts.alpn);
    (conn as Ngtcp2Connection & { migrateNow?: () => Promise<void> }).migrateNow = migrate;
  } catch (e) {
    closeSockets();
    throw e instanceof QuicError ? e : new QuicError('tls', (e as Error).message);
  }
  conn.start();
  return result;
}

/** Tests and tools: force an active migration now (the route watcher does this on its own). */
export function migrateNow(c: QuicConnection): Promise<void> {
  const f = (c as { migrateNow?: () => Promise<void> }).migrateNow;
  if (!f) return Promise.reject(new QuicError('internal', 'not an ngtcp2 client connection'));
  return f();
}

// ---------------------------------------------------------------- server

type ServerListener = ((conn: QuicConnection) => void) | ((err: QuicError, from: Address) => void);

export class Ngtcp2Server implements QuicServer {
  readonly address: Address;
  udpBuffers?: UdpBuffers;
  private readonly routes = new Map<string, Ngtcp2Connection>();
  private readonly conns = new Set<Ngtcp2Connection>();
  private readonly cids = new Map<Ngtcp2Connection, Set<string>>();
  private readonly listeners = { connection: [] as ((c: QuicConnection) => void)[], handshakeError: [] as ((e: QuicError, from: Address) => void)[] };
  private pending = 0;
  private closing = false;
  private readonly verifier: PeerVerifier | undefined;
  /** Datagrams dropped because they were not QUIC for any connection we know. */
  dropped = 0;
  /** Stateless resets sent (short-header packets for connections this process does not hold). */
  resets = 0;
  private readonly resetKey: Buffer;
  private resetBudget = RESETS_PER_S;
  private resetRefill = 0;
  handshakes = 0;
  handshakeErrors = 0;
  private closedPathChanges = 0;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly opts: ListenOptions,
    private readonly eo: Ngtcp2EngineOptions,
  ) {
    const verifyClients = (opts.requireClientCert ?? true) && opts.tls.verifyPeer !== false;
    this.verifier = verifyClients ? createPeerVerifier({ caPem: opts.tls.ca, peer: 'client', revoked: opts.tls.revoked }) : undefined;
    this.resetKey = resetKeyOf(opts.tls.key);
    const a = sock.address();
    this.address = { host: a.address, port: a.port };
    sock.on('message', (msg, rinfo) => this.onMessage(msg, { host: rinfo.address, port: rinfo.port }));
    sock.on('error', () => undefined);
  }

  on(event: 'connection' | 'handshakeError', listener: ServerListener): void {
    if (event === 'connection') this.listeners.connection.push(listener as (c: QuicConnection) => void);
    else this.listeners.handshakeError.push(listener as (e: QuicError, from: Address) => void);
  }

  /** Open connections (each has stats() with its path changes). */
  connections(): Ngtcp2Connection[] {
    return [...this.conns];
  }

  /** Operations: handshakes, refusals, dropped datagrams, path changes (open and closed connections). */
  stats(): { handshakes: number; handshakeErrors: number; dropped: number; resets: number; open: number; pathChanges: number } {
    let pathChanges = this.closedPathChanges;
    for (const c of this.conns) pathChanges += c.stats().pathChanges;
    return { handshakes: this.handshakes, handshakeErrors: this.handshakeErrors, dropped: this.dropped, resets: this.resets, open: this.conns.size, pathChanges };
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
    const hd = native.decodeCid(msg, SCID_LEN);
    if (!hd) {
      this.dropped++;
      return;
    }
    const known = this.routes.get(hd.dcid);
    if (known) return known.receive(msg, this.address, from);
    if (!hd.long) return this.reset(msg, from);
    if (!hd.supported || this.pending >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    let conn: Ngtcp2Connection;
    try {
      const tls = this.opts.tls;
      const nc = new native.Connection(
        {
          server: true,
          gnutlsVerify: this.verifier === undefined,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          verifyPeer: tls.verifyPeer !== false,
          requireClientCert: this.opts.requireClientCert !== false,
          keyLogFile: keyLog(this.opts.keyLogFile),
          qlogDir: qlogDir(),
          resetKey: this.resetKey,
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
      conn = new Ngtcp2Connection(nc, this.owner(from), true, this.address, from, this.verifier, this.opts.alpn);
      const ids = new Set<string>([hd.dcid, ...nc.scids()]);
      this.cids.set(conn, ids);
      for (const id of ids) this.routes.set(id, conn);
    } catch {
      this.dropped++;
      return;
    }
    this.pending++;
    this.conns.add(conn);
    conn.receive(msg, this.address, from);
  }

  /**
   * A short-header packet for a connection we do not hold (ours before a restart, or one
   * we closed): a Stateless Reset tells its sender at once (RFC 9000 10.3), rate-limited.
   */
  private reset(msg: Buffer, from: Address): void {
    this.dropped++;
    const t = now();
    if (t - this.resetRefill >= 1000) {
      this.resetBudget = RESETS_PER_S;
      this.resetRefill = t;
    }
    if (this.resetBudget <= 0) return;
    const d = loadNative().statelessReset(this.resetKey, msg, SCID_LEN);
    if (!d) return;
    this.resetBudget--;
    this.resets++;
    this.send({ data: d, localHost: this.address.host, localPort: this.address.port, remoteHost: from.host, remotePort: from.port });
  }

  private owner(from: Address): ConnectionOwner {
    let pendingCounted = true;
    const donePending = (): void => {
      if (pendingCounted) this.pending--;
      pendingCounted = false;
    };
    return {
      send: (d) => this.send(d),
      onCid: (c, cid, added) => this.route(c, cid, added),
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
        for (const l of this.listeners.handshakeError) {
          try {
            l(err, from);
          } catch {
            /* a logging listener failed; nothing to undo */
          }
        }
      },
      onClosed: (c: Ngtcp2Connection, _info: CloseInfo) => {
        donePending();
        if (this.conns.delete(c)) this.closedPathChanges += c.stats().pathChanges;
        for (const id of this.cids.get(c) ?? []) if (this.routes.get(id) === c) this.routes.delete(id);
        this.cids.delete(c);
      },
    };
  }

  /** A connection issued or retired one of its connection IDs. */
  private route(c: Ngtcp2Connection, cid: string, added: boolean): void {
    const set = this.cids.get(c);
    if (added) {
      this.routes.set(cid, c);
      set?.add(cid);
    } else {
      if (this.routes.get(cid) === c) this.routes.delete(cid);
      set?.delete(cid);
    }
  }
}

async function listen(opts: ListenOptions, eo: Ngtcp2EngineOptions): Promise<QuicServer> {
  loadNative();
  const host = await resolveHost(opts.host);
  const sock = await bindSocket(isIP(host) === 6 ? 'udp6' : 'udp4', host, opts.port);
  const udpBuffers = applyUdpBuffers(sock, opts.udpBufferBytes ?? DEFAULT_UDP_BUFFER_BYTES, eo.log ?? silentLogger());
  const server = new Ngtcp2Server(sock, { ...opts, host }, eo);
  server.udpBuffers = udpBuffers;
  return server;
}
