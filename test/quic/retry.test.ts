/**
 * Address validation by Retry on the ngtcp2 server's accept path (src/quic/ngtcp2-retry.ts):
 * the addon's Retry and token functions on their own (address, port, connection ID and
 * expiry bound into the token), then a real server over loopback UDP in mode 'always':
 * the Retry is far smaller than the Initial it answers, a token replayed from another
 * address, forged or expired is refused before anything is built, the right one makes the
 * connection, and the engine's own client follows a Retry and streams.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { waitFor } from '../support/wait.js';
import { echoed, echoStreams } from '../support/quic-echo.js';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import { INVALID_TOKEN } from '../../src/quic/ngtcp2-retry.js';
import { loadNative, nativeAvailable, type NativeConnection } from '../../src/quic/native-loader.js';
import type { TlsMaterial } from '../../src/tls/material.js';
import type { QuicConnection } from '../../src/quic/engine.js';

/** A QUIC long header's packet type (RFC 9000 17.2): 0 Initial, 3 Retry. */
const typeOf = (d: Buffer): number => (d[0]! & 0x80 ? (d[0]! >> 4) & 3 : -1);

/** Where the token of an Initial starts and how long it is (its length is a one- or two-byte varint here). */
function tokenAt(d: Buffer): { at: number; len: number } {
  let i = 5;
  i += 1 + d[i]!; // DCID
  i += 1 + d[i]!; // SCID
  const two = d[i]! >> 6 === 1;
  const len = two ? ((d[i]! & 0x3f) << 8) | d[i + 1]! : d[i]! & 0x3f;
  return { at: i + (two ? 2 : 1), len };
}

/** A native client connection that the test drives by hand over its own UDP socket. */
class RawClient {
  readonly got: Buffer[] = [];
  private constructor(
    readonly sock: dgram.Socket,
    readonly conn: NativeConnection,
    private readonly serverPort: number,
  ) {
    sock.on('message', (m) => this.got.push(m));
  }

  static async open(tls: TlsMaterial, serverPort: number): Promise<RawClient> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const conn = new (loadNative().Connection)(
      { server: false, cert: tls.cert, key: tls.key, ca: tls.ca, serverName: 'localhost', alpn: ['geostream/1.0'], idleTimeoutMs: 30_000, keepAliveMs: 0, localHost: '127.0.0.1', localPort: sock.address().port, remoteHost: '127.0.0.1', remotePort: serverPort },
      null,
      performance.now(),
    );
    return new RawClient(sock, conn, serverPort);
  }

  /** What the connection wants sent now. */
  flush(): Buffer[] {
    const out = this.conn.flush(performance.now());
    if (typeof out === 'number') throw new Error(`client flush failed: ${out}`);
    return out.map((d) => d.data);
  }

  /** Feeds a datagram from the server to the connection. */
  recv(d: Buffer): void {
    this.conn.recv(d, '127.0.0.1', this.sock.address().port, '127.0.0.1', this.serverPort, performance.now());
  }

  send(d: Buffer, via: dgram.Socket = this.sock): void {
    via.send(d, this.serverPort, '127.0.0.1');
  }

  close(): void {
    this.conn.destroy();
    this.sock.close();
  }
}

describe.skipIf(!nativeAvailable())('QUIC Retry (ngtcp2)', () => {
  let fx: QuicFixture;
  beforeAll(async () => {
    fx = await makeQuicFixture(['VH-1']);
  });
  afterAll(() => fx?.cleanup());

  /** A client's first Initial, the Retry the addon makes for it, and the Initial the client sends next (with the token). */
  function retried(secret: Buffer, host: string, port: number, t: number) {
    const tls = fx.device('VH-1');
    const n = loadNative();
    const c = new n.Connection({ server: false, cert: tls.cert, key: tls.key, ca: tls.ca, alpn: ['geostream/1.0'], idleTimeoutMs: 30_000, keepAliveMs: 0, localHost: host, localPort: port, remoteHost: '127.0.0.1', remotePort: 4433 }, null, t);
    try {
      const first = (c.flush(t) as { data: Buffer }[])[0]!.data;
      const retry = n.retry(secret, first, host, port, t)!;
      expect(c.recv(retry, host, port, '127.0.0.1', 4433, t)).toBe(0);
      const second = (c.flush(t) as { data: Buffer }[])[0]!.data;
      return { first, retry, second };
    } finally {
      c.destroy();
    }
  }

  it('a Retry token holds for its address, port and connection ID until it expires', () => {
    const n = loadNative();
    const secret = randomBytes(32);
    const t0 = 1000;
    const { first, retry, second } = retried(secret, '127.0.0.1', 40_000, t0);
    expect(typeOf(first)).toBe(0);
    expect(typeOf(retry)).toBe(3);
    expect(retry.length).toBeLessThan(first.length / 3);
    expect(tokenAt(second).len).toBeGreaterThan(0);
    expect(n.retryToken(secret, first, '127.0.0.1', 40_000, 5000, t0).status).toBe('none');
    const ok = n.retryToken(secret, second, '127.0.0.1', 40_000, 5000, t0 + 4999);
    expect(ok.status).toBe('valid');
    // the original DCID: the first Initial's, which follows its length byte at offset 5
    expect(ok.odcid!.equals(first.subarray(6, 6 + first[5]!))).toBe(true);
    expect(n.retryToken(secret, second, '127.0.0.1', 40_000, 5000, t0 + 5000).status).toBe('invalid');
    expect(n.retryToken(secret, second, '127.0.0.2', 40_000, 5000, t0).status).toBe('invalid');
    expect(n.retryToken(secret, second, '127.0.0.1', 40_001, 5000, t0).status).toBe('invalid');
    expect(n.retryToken(randomBytes(32), second, '127.0.0.1', 40_000, 5000, t0).status).toBe('invalid');
    // a token taken from one Initial into another connection's (another Retry connection ID)
    const other = retried(secret, '127.0.0.1', 40_000, t0).second;
    const tok = tokenAt(second);
    const swapped = Buffer.from(other);
    second.copy(swapped, tokenAt(other).at, tok.at, tok.at + tok.len);
    expect(n.retryToken(secret, swapped, '127.0.0.1', 40_000, 5000, t0).status).toBe('invalid');
    const close = n.invalidTokenClose(second)!;
    expect(typeOf(close)).toBe(0);
    expect(close.length).toBeLessThan(second.length / 3);
  });

  it('checks its arguments, naming them', () => {
    const n = loadNative();
    const { first } = retried(randomBytes(32), '127.0.0.1', 40_000, 1000);
    expect(() => n.retry(Buffer.alloc(8), first, '127.0.0.1', 1, 1)).toThrow(/retrySecret must be 16 to 64 bytes/);
    expect(() => n.retryToken(randomBytes(32), first, '127.0.0.1', 70_000, 1, 1)).toThrow(/remotePort/);
    expect(() => n.retryToken(randomBytes(32), first, '127.0.0.1', 1, -1, 1)).toThrow(/ttlMs/);
    expect(n.retry(randomBytes(32), Buffer.alloc(1200), '127.0.0.1', 1, 1)).toBeNull();
    expect(n.retryToken(randomBytes(32), first, 'not an address', 1, 1, 1).status).toBe('invalid');
    const server = { server: true, cert: '', key: '', ca: '', alpn: ['geostream/1.0'], idleTimeoutMs: 1000, keepAliveMs: 0, localHost: '127.0.0.1', localPort: 1, remoteHost: '127.0.0.1', remotePort: 2 };
    expect(() => new n.Connection({ ...server, originalDcid: Buffer.alloc(7) }, first, 1)).toThrow(/originalDcid must be 8 to 20 bytes \(got 7\)/);
    expect(() => new n.Connection({ ...server, originalDcid: Buffer.alloc(21) }, first, 1)).toThrow(/originalDcid must be 8 to 20 bytes/);
  });

  it('a server refuses a token that expired on the way back, building nothing', async () => {
    const server = (await createNgtcp2Engine({ retry: 'always', retryTokenTtlMs: 200 }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
    const c = await RawClient.open(fx.device('VH-1'), server.address.port);
    try {
      c.send(c.flush()[0]!);
      await waitFor(() => c.got.length > 0, 5000, 'the Retry');
      c.recv(c.got.shift()!);
      const [second] = c.flush();
      await new Promise((r) => setTimeout(r, 400));
      c.send(second!);
      await waitFor(() => server.stats().tokensRefused === 1, 5000, 'the token refused');
      expect(server.stats()).toMatchObject({ retries: 1, tokensAccepted: 0, pending: 0, open: 0 });
      expect(server.stats().refused[INVALID_TOKEN]).toBe(1);
    } finally {
      c.close();
      await server.close();
    }
  });

  describe("a server in mode 'always'", () => {
    let server: Ngtcp2Server;
    const serverIds: string[] = [];
    beforeAll(async () => {
      server = (await createNgtcp2Engine({ retry: 'always' }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
      echoStreams(server);
      server.on('connection', (c: QuicConnection) => serverIds.push(c.id));
    });
    afterAll(() => server?.close());

    it('answers a first Initial with a small Retry, refuses the token from another address or forged, and builds the connection for the right one', async () => {
      const port = server.address.port;
      const c = await RawClient.open(fx.device('VH-1'), port);
      const thief = dgram.createSocket('udp4');
      const thiefGot: Buffer[] = [];
      thief.on('message', (m) => thiefGot.push(m));
      await new Promise<void>((r) => thief.bind(0, '127.0.0.1', r));
      try {
        const s0 = server.stats();
        const [first] = c.flush();
        c.send(first!);
        await waitFor(() => c.got.length > 0, 5000, 'the Retry');
        const retry = c.got.shift()!;
        expect(typeOf(retry)).toBe(3);
        console.log(`Retry: ${retry.length} B for an Initial of ${first!.length} B (${(retry.length / first!.length).toFixed(2)}x)`);
        expect(retry.length).toBeLessThanOrEqual(3 * first!.length);
        expect(server.stats()).toMatchObject({ retries: s0.retries + 1, pending: 0, open: s0.open });
        c.recv(retry);
        const [second] = c.flush();
        const tok = tokenAt(second!);

        // the same Initial, token and all, from another address (port), and with a forged token from
        // the client's own: refused, answered with INVALID_TOKEN
        c.send(second!, thief);
        const forged = Buffer.from(second!);
        forged[tok.at + 20]! ^= 0x01;
        c.send(forged);
        const random = Buffer.from(second!);
        randomBytes(tok.len - 1).copy(random, tok.at + 1);
        c.send(random);
        await waitFor(() => server.stats().tokensRefused === s0.tokensRefused + 3, 5000, 'three tokens refused');
        let s = server.stats();
        expect(s).toMatchObject({ pending: 0, open: s0.open, tokensAccepted: s0.tokensAccepted, retries: s0.retries + 1 });
        expect(s.refused[INVALID_TOKEN]).toBe((s0.refused[INVALID_TOKEN] ?? 0) + 3);
        await waitFor(() => thiefGot.length > 0 && c.got.length === 2, 5000, 'the INVALID_TOKEN closes');
        // each a small Initial; the two the client's own address got are left unread (they would end its handshake)
        for (const d of [...thiefGot, ...c.got.splice(0)]) {
          expect(typeOf(d)).toBe(0);
          expect(d.length).toBeLessThanOrEqual(3 * second!.length);
        }

        // from the client's own address it makes the connection, and the handshake completes
        c.send(second!);
        await waitFor(() => server.stats().tokensAccepted === s0.tokensAccepted + 1, 5000, 'the token accepted');
        s = server.stats();
        expect(s.pending + s.handshakes - s0.handshakes).toBe(1);
        const pump = (): void => {
          for (const d of c.got.splice(0)) c.recv(d);
          for (const d of c.flush()) c.send(d);
        };
        c.sock.on('message', () => setImmediate(pump));
        pump();
        await waitFor(() => c.conn.info().handshake, 5000, 'the client handshake');
        await waitFor(() => server.stats().handshakes === s0.handshakes + 1, 5000, 'the server handshake');
        expect(server.stats()).toMatchObject({ retries: s0.retries + 1, tokensAccepted: s0.tokensAccepted + 1, tokensRefused: s0.tokensRefused + 3 });
      } finally {
        c.close();
        thief.close();
      }
    });

    it("the engine's client follows the Retry, connects and streams: one Retry sent, one token accepted", async () => {
      const s0 = server.stats();
      const conn = await createNgtcp2Engine().connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port: server.address.port, serverName: 'localhost' });
      try {
        expect(await echoed(conn, 100_000)).toBe(true);
        // both ends name the connection by the client's first destination connection ID, not the Retry's
        expect(serverIds.at(-1)).toBe(conn.id);
        expect(server.stats()).toMatchObject({ retries: s0.retries + 1, tokensAccepted: s0.tokensAccepted + 1, tokensRefused: s0.tokensRefused, handshakes: s0.handshakes + 1 });
      } finally {
        await conn.close(0, 'done');
      }
    });
  });
});
