/**
 * A flood of half-open handshakes: real ClientHellos (made beforehand, never followed up,
 * as spoofed sources would send them) from several source addresses on loopback. It
 * sends a first burst, then keeps going in small rounds until stopped, and counts what
 * each address sent and got back.
 */
import { Attacker, clientHello } from './quic-junk.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import type { TlsMaterial } from '../../src/tls/material.js';

/** Ten loopback source addresses: 127.0.0.2 to 127.0.0.11. */
export const FLOOD_HOSTS = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);

/** `n` ClientHellos of the certificate in `tls` (each its own connection ID). */
export function clientHellos(tls: TlsMaterial, n: number): Buffer[] {
  return Array.from({ length: n }, () => clientHello(tls, 4433));
}

/** Initials a server has dealt with so far: in progress, failed, answered with a Retry, refused as over a handshake bound. */
export function handled(server: Ngtcp2Server): number {
  const s = server.stats();
  return s.pending + s.handshakeErrors + s.retries + (s.refused['too many handshakes in progress'] ?? 0) + (s.refused['too many handshakes from one address'] ?? 0);
}

export class HandshakeFlood {
  private going = false;
  private rounds: Promise<void> = Promise.resolve();

  private constructor(
    readonly attackers: Attacker[],
    private readonly pool: Buffer[],
    private readonly port: number,
  ) {}

  /** Opens a socket on each of `hosts` and sends `perHost` ClientHellos from each (taken from `pool`). */
  static async burst(pool: Buffer[], port: number, perHost: number, hosts = FLOOD_HOSTS): Promise<HandshakeFlood> {
    const f = new HandshakeFlood(await Promise.all(hosts.map((h) => Attacker.open(h))), [...pool], port);
    for (let i = 0; i < perHost; i++) {
      for (const a of f.attackers) f.send(a);
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    return f;
  }

  private send(a: Attacker): void {
    const h = this.pool.pop();
    if (h) a.send(h, this.port);
  }

  /** Goes on sending `perRound` ClientHellos every `everyMs` until stop() or the pool runs out. */
  keepUp(perRound = 20, everyMs = 20): void {
    this.going = true;
    this.rounds = (async () => {
      while (this.going && this.pool.length > 0) {
        for (let j = 0; j < perRound; j++) this.send(this.attackers[j % this.attackers.length]!);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  /** Stops the rounds and closes the sockets; what was sent and got back, in all and the worst address's ratio. */
  async stop(): Promise<{ sent: number; back: number; worstRatio: number }> {
    this.going = false;
    await this.rounds;
    for (const a of this.attackers) a.close();
    return {
      sent: this.attackers.reduce((n, a) => n + a.sent, 0),
      back: this.attackers.reduce((n, a) => n + a.received, 0),
      worstRatio: Math.max(...this.attackers.map((a) => (a.sent ? a.received / a.sent : 0))),
    };
  }
}
