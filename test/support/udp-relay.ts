/**
 * A UDP relay on loopback between QUIC clients and a server, acting like a NAT:
 * each client address gets its own "outside" socket toward the server. Controls:
 *
 * - blackhole(ms): drop every datagram both ways for ms (or until restore());
 * - rebind(host?): give every mapping a fresh outside socket (new source port,
 *   and a new source address if `host` is another loopback address such as
 *   127.0.0.2): what a NAT rebinding or a handoff looks like to the server;
 * - delayMs: a one-way delay on each datagram in each direction (a longer path);
 * - counts of datagrams and bytes relayed and dropped;
 * - tap: a callback that sees each datagram sent toward the server.
 *
 * Real sockets, real UDP; used by the engine conformance suite and the link and
 * native engine tests. Always close() it (in afterEach/afterAll).
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';

export interface RelayAddress {
  host: string;
  port: number;
}

export interface RelayCounts {
  toServer: number;
  toClient: number;
  bytesToServer: number;
  bytesToClient: number;
  dropped: number;
  rebinds: number;
}

interface Mapping {
  client: RelayAddress;
  outside: dgram.Socket;
}

function udpType(host: string): 'udp4' | 'udp6' {
  return isIP(host) === 6 ? 'udp6' : 'udp4';
}

function bind(host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(udpType(host));
    s.once('error', reject);
    s.bind(0, host, () => {
      s.off('error', reject);
      s.on('error', () => undefined); // ICMP errors from a peer that went away: ignore
      resolve(s);
    });
  });
}

export class UdpRelay {
  readonly counts: RelayCounts = { toServer: 0, toClient: 0, bytesToServer: 0, bytesToClient: 0, dropped: 0, rebinds: 0 };
  private readonly mappings = new Map<string, Mapping>();
  /** Sees every datagram relayed toward the server (e.g. to capture real packets for fuzzing). */
  tap: ((msg: Buffer) => void) | undefined;
  /** Holds each datagram this long in each direction, ms (0: sent at once). */
  delayMs = 0;
  private holeUntil = 0;
  private outsideHost: string;
  private closed = false;

  private constructor(
    private readonly inside: dgram.Socket,
    readonly target: RelayAddress,
  ) {
    this.outsideHost = target.host;
    inside.on('message', (msg, rinfo) => this.fromClient(msg, { host: rinfo.address, port: rinfo.port }));
  }

  /** Starts a relay listening on `listenHost` (default the target's loopback family) toward `target`. */
  static async start(target: RelayAddress, listenHost?: string): Promise<UdpRelay> {
    const inside = await bind(listenHost ?? target.host);
    return new UdpRelay(inside, target);
  }

  /** Where clients should connect. */
  get address(): RelayAddress {
    const a = this.inside.address();
    return { host: a.address, port: a.port };
  }

  /** The source address the server currently sees for the (first) client. */
  get outsideAddress(): RelayAddress | undefined {
    const m = this.mappings.values().next().value as Mapping | undefined;
    if (!m) return undefined;
    const a = m.outside.address();
    return { host: a.address, port: a.port };
  }

  get blackholed(): boolean {
    return Date.now() < this.holeUntil;
  }

  /** Drops everything in both directions for `ms` milliseconds (Infinity: until restore()). */
  blackhole(ms: number): void {
    this.holeUntil = ms === Infinity ? Number.MAX_SAFE_INTEGER : Date.now() + ms;
  }

  restore(): void {
    this.holeUntil = 0;
  }

  /**
   * Gives every mapping a new outside socket, bound to `host` (default: the
   * current outside host) on a fresh port; the old socket is closed, so late
   * replies to it are lost like behind a real NAT.
   */
  async rebind(host?: string): Promise<RelayAddress[]> {
    if (host) this.outsideHost = host;
    const out: RelayAddress[] = [];
    for (const m of this.mappings.values()) {
      const fresh = await bind(this.outsideHost);
      this.attach(fresh, m.client);
      const old = m.outside;
      m.outside = fresh;
      old.close();
      const a = fresh.address();
      out.push({ host: a.address, port: a.port });
    }
    this.counts.rebinds++;
    return out;
  }

  private attach(outside: dgram.Socket, client: RelayAddress): void {
    outside.on('message', (msg) => {
      if (this.closed) return;
      if (this.blackholed) {
        this.counts.dropped++;
        return;
      }
      this.counts.toClient++;
      this.counts.bytesToClient += msg.byteLength;
      this.later(() => this.inside.send(msg, client.port, client.host));
    });
  }

  private fromClient(msg: Buffer, client: RelayAddress): void {
    if (this.closed) return;
    if (this.blackholed) {
      this.counts.dropped++;
      return;
    }
    const key = `${client.host}|${client.port}`;
    const m = this.mappings.get(key);
    if (!m) {
      // First datagram of a new client: create its mapping, then send.
      void bind(this.outsideHost).then((outside) => {
        if (this.closed) {
          outside.close();
          return;
        }
        const existing = this.mappings.get(key);
        if (existing) {
          outside.close();
          this.forward(existing, msg);
          return;
        }
        const mapping = { client, outside };
        this.attach(outside, client);
        this.mappings.set(key, mapping);
        this.forward(mapping, msg);
      });
      return;
    }
    this.forward(m, msg);
  }

  private forward(m: Mapping, msg: Buffer): void {
    this.tap?.(msg);
    this.counts.toServer++;
    this.counts.bytesToServer += msg.byteLength;
    this.later(() => m.outside.send(msg, this.target.port, this.target.host));
  }

  private later(send: () => void): void {
    if (this.delayMs <= 0) return send();
    setTimeout(() => {
      if (!this.closed) send();
    }, this.delayMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.mappings.values()) m.outside.close();
    this.mappings.clear();
    await new Promise<void>((r) => this.inside.close(() => r()));
  }
}
