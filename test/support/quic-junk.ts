/**
 * What a hostile host on the network sends a QUIC server: tiny and oversized junk
 * Initials, real ClientHellos it never follows up (half-open handshakes),
 * version-negotiation bait, random datagrams. An Attacker is one UDP socket that
 * counts what it sent and what came back, per its own address.
 */
import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { loadNative } from '../../src/quic/native-loader.js';
import type { TlsMaterial } from '../../src/tls/material.js';

/**
 * A QUIC v1 long header of type `type` (0 Initial, 2 Handshake) with random connection
 * IDs, then random bytes: `bodyLen` of them, or as many as make the datagram `total` bytes.
 */
export function longHeader(type: number, bodyLen: number, version = 1, total?: number): Buffer {
  const dcid = randomBytes(randomInt(8, 21));
  const scid = randomBytes(randomInt(0, 21));
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  const head = Buffer.concat([Buffer.from([0xc0 | (type << 4) | randomInt(0, 16)]), v, Buffer.from([dcid.length]), dcid, Buffer.from([scid.length]), scid]);
  return Buffer.concat([head, randomBytes(total === undefined ? bodyLen : total - head.length)]);
}

/** An Initial under 1200 bytes (RFC 9000 14.1: a server must drop it). */
export const tinyInitial = (): Buffer => longHeader(0, randomInt(1, 1100));
/** A 1200-byte Initial whose protection and payload are garbage (passes the header checks, fails decryption). */
export const garbageInitial = (): Buffer => longHeader(0, 0, 1, randomInt(1200, 1401));
/** A Handshake packet for no connection, truncated at a random length. */
export const strayHandshake = (): Buffer => longHeader(2, randomInt(0, 1400));
/** A long header of a version nobody speaks: a server that answers with Version Negotiation reflects traffic. */
export const versionBait = (): Buffer => longHeader(0, 0, 0x1a2a3a4a, 1200);
/** Random bytes of random length (short or long header, whatever the first byte says). */
export const randomDatagram = (): Buffer => randomBytes(randomInt(1, 1500));

/** One real client Initial (a ClientHello, padded to 1200 bytes) from the ngtcp2 addon, never followed up. */
export function clientHello(tls: TlsMaterial, port: number): Buffer {
  const c = new (loadNative().Connection)(
    { server: false, cert: tls.cert, key: tls.key, ca: tls.ca, alpn: ['geostream/1.0'], idleTimeoutMs: 10_000, keepAliveMs: 0, localHost: '127.0.0.1', localPort: 9, remoteHost: '127.0.0.1', remotePort: port },
    null,
    performance.now(),
  );
  const out = c.flush(performance.now());
  c.destroy();
  if (typeof out === 'number' || out.length === 0) throw new Error(`the client produced no Initial (${String(out)})`);
  return out[0]!.data;
}

export class Attacker {
  sent = 0;
  received = 0;
  datagramsBack = 0;
  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (m) => {
      this.received += m.length;
      this.datagramsBack++;
    });
  }

  /** A socket on `host` (any 127.0.0.0/8 address on Linux: another source address on loopback). */
  static async open(host = '127.0.0.1'): Promise<Attacker> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, host, r));
    return new Attacker(s);
  }

  send(pkt: Buffer, port: number): void {
    this.sent += pkt.length;
    this.sock.send(pkt, port, '127.0.0.1');
  }

  /**
   * Sends `n` datagrams made by `make`, `perTick` at a time with a pause between,
   * so the flood is fast but the server's receive buffer does not overflow.
   */
  async flood(n: number, make: () => Buffer, port: number, perTick = 200, pauseMs = 10): Promise<void> {
    for (let i = 0; i < n; ) {
      for (let j = 0; j < perTick && i < n; j++, i++) this.send(make(), port);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  close(): void {
    this.sock.close();
  }
}

/** Resident set size of a process, MB (/proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU time (user + system) a process has used, ms (/proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
