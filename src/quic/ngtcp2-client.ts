/**
 * The ngtcp2 engine's client (the device side). JavaScript owns the UDP sockets
 * (unconnected, wildcard-bound, so a route change is followed passively) and the addon
 * does QUIC and TLS. It watches its route to the server and, when it changes, binds a
 * new socket and migrates (new connection ID, path validation by the peer): at once
 * ('always') or when the server falls silent after the change ('fallback').
 */
import type dgram from 'node:dgram';
import { isIP } from 'node:net';
import { QuicError, type ConnectOptions, type QuicConnection } from './engine.js';
import { loadNative, type NativeDatagram } from './native-loader.js';
import { Ngtcp2Connection, now, type ConnectionOwner } from './ngtcp2-connection.js';
import { keyLog, qlogDir, type Ngtcp2EngineOptions } from './ngtcp2-options.js';
import { bindSocket, resolveHost } from './ngtcp2-udp.js';
import { watchRoute } from './route-watch.js';
import { createPeerVerifier } from '../tls/verify.js';

/** Longest we hold packets while the route is in flux (netlink event to route check). */
const ROUTE_HOLD_MS = 100;
/** Keep a socket we migrated away from open this long for late packets. */
const OLD_SOCKET_GRACE_MS = 5000;

export async function connect(opts: ConnectOptions, eo: Ngtcp2EngineOptions): Promise<QuicConnection> {
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
    migrate: () => migrate(),
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
  } catch (e) {
    closeSockets();
    // A TypeError is an argument the addon refused (a bug of ours), never the peer's TLS.
    throw e instanceof QuicError || e instanceof TypeError ? e : new QuicError('tls', (e as Error).message);
  }
  conn.start();
  return result;
}
