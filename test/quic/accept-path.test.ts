/**
 * The ngtcp2 server's accept path: a datagram that is not an acceptable Initial is
 * refused before anything is built for its sender, each refusal counted by reason;
 * handshakes in progress are bounded per source address (and in Retry mode 'auto', the
 * default, half that bound makes the address prove itself by Retry first); the TLS
 * credentials are parsed once per listener.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { Attacker, clientHello, longHeader, strayHandshake, tinyInitial } from '../support/quic-junk.js';
import { waitFor } from '../support/wait.js';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import { loadNative, nativeAvailable } from '../../src/quic/native-loader.js';

describe.skipIf(!nativeAvailable())('ngtcp2 accept path', () => {
  let fx: QuicFixture;
  let server: Ngtcp2Server;
  let noRetry: Ngtcp2Server;
  beforeAll(async () => {
    fx = await makeQuicFixture(['VH-1']);
    server = (await createNgtcp2Engine().listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
    noRetry = (await createNgtcp2Engine({ retry: 'off' }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
  });
  afterAll(async () => {
    await server?.close();
    await noRetry?.close();
    await fx?.cleanup();
  });

  it('acceptInitial names why a datagram cannot open a connection, and admits a real ClientHello', () => {
    const n = loadNative();
    expect(n.acceptInitial(clientHello(fx.device('VH-1'), 4433))).toBe('');
    expect(n.acceptInitial(longHeader(0, 100))).toBe('Initial shorter than 1200 bytes');
    expect(n.acceptInitial(longHeader(2, 1300))).toBe('Handshake for no connection');
    expect(n.acceptInitial(longHeader(1, 1300))).toBe('0-RTT for no connection');
    expect(n.acceptInitial(Buffer.alloc(0))).toBe('empty datagram');
    expect(n.acceptInitial(Buffer.from([0x40, 1, 2, 3]))).toBe('short header for no connection');
    expect(() => n.acceptInitial('x' as unknown as Uint8Array)).toThrow(/packet must be a Uint8Array/);
  });

  it('ServerContext refuses a key that is not PEM, naming it', () => {
    const { cert, ca } = fx.server;
    expect(() => new (loadNative().ServerContext)({ cert, key: 'not a key', ca })).toThrow(/certificate\/key/);
    expect(() => new (loadNative().ServerContext)({ cert, key: fx.server.key, ca: 'no CA' })).toThrow(/CA/);
  });

  it('counts junk by reason and builds nothing for it', async () => {
    const a = await Attacker.open();
    const before = server.stats();
    for (let i = 0; i < 300; i++) a.send(tinyInitial(), server.address.port);
    for (let i = 0; i < 200; i++) a.send(strayHandshake(), server.address.port);
    await waitFor(() => server.stats().dropped - before.dropped >= 500, 5000, '500 datagrams refused');
    const s = server.stats();
    expect(s.refused['Initial shorter than 1200 bytes']! - (before.refused['Initial shorter than 1200 bytes'] ?? 0)).toBe(300);
    expect(s.refused['Handshake for no connection']! - (before.refused['Handshake for no connection'] ?? 0)).toBe(200);
    expect(s.pending).toBe(0);
    expect(s.open).toBe(before.open);
    expect(a.received).toBe(0);
    a.close();
  });

  it("with Retry 'off', holds at most 64 handshakes in progress from one address; the rest are refused as such", async () => {
    const server = noRetry;
    const tls = fx.device('VH-1');
    const a = await Attacker.open();
    const before = server.stats().refused['too many handshakes from one address'] ?? 0;
    for (let i = 0; i < 100; i++) a.send(clientHello(tls, server.address.port), server.address.port);
    await waitFor(() => server.stats().pending + (server.stats().refused['too many handshakes from one address'] ?? 0) - before >= 100, 5000, '100 ClientHellos seen');
    expect(server.stats().pending).toBe(64);
    expect((server.stats().refused['too many handshakes from one address'] ?? 0) - before).toBe(36);
    // none of them can complete (the attacker never answers): they time out and free their slots
    await waitFor(() => server.stats().pending === 0, 15_000, 'half-open handshakes timed out');
    expect(a.received).toBeLessThanOrEqual(3 * a.sent);
    a.close();
  }, 30_000);

  it("in Retry mode 'auto', past 32 handshakes in progress from one address answers the rest with Retries and builds nothing for them", async () => {
    const tls = fx.device('VH-1');
    const a = await Attacker.open();
    const before = server.stats();
    for (let i = 0; i < 100; i++) a.send(clientHello(tls, server.address.port), server.address.port);
    await waitFor(() => server.stats().pending + server.stats().retries - before.retries >= 100, 5000, '100 ClientHellos seen');
    const s = server.stats();
    expect(s.retryMode).toBe('auto');
    expect(s.pending).toBe(32);
    expect(s.retries - before.retries).toBe(68);
    expect(s.refused['too many handshakes from one address'] ?? 0).toBe(before.refused['too many handshakes from one address'] ?? 0);
    await waitFor(() => server.stats().pending === 0, 15_000, 'half-open handshakes timed out');
    expect(a.received).toBeLessThanOrEqual(3 * a.sent);
    a.close();
  }, 30_000);
});
