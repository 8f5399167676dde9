/**
 * A flood of half-open handshakes (real ClientHellos from ten source addresses on
 * loopback, never followed up, as spoofed sources would send) against the ngtcp2
 * server, and a good vehicle that connects while it goes on. In Retry mode 'auto' the
 * server switches to Retry once half its handshake bound is taken, the flood's later
 * Initials get only Retries (which no one follows), and the vehicle's Initial comes back
 * with its token and gets one of the free places. With 'off' (the accept path before
 * Retry) the flood fills the bound and the vehicle's handshake is refused until it times
 * out: the same test against that server fails to connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { Attacker, clientHello } from '../support/quic-junk.js';
import { waitFor } from '../support/wait.js';
import { echoed, echoStreams } from '../support/quic-echo.js';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { QuicConnection } from '../../src/quic/engine.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import type { RetryMode } from '../../src/quic/ngtcp2-retry.js';
import { nativeAvailable } from '../../src/quic/native-loader.js';

/** Source addresses of the flood, and ClientHellos each sends at first: 10 x 70 = 700, more than the 512 the server holds. */
const HOSTS = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
const FILL_PER_HOST = 70;
/** ClientHellos sent while the vehicle connects, per round of 20 ms. */
const DURING_PER_ROUND = 20;

describe.skipIf(!nativeAvailable())('a handshake flood and Retry (ngtcp2)', () => {
  let fx: QuicFixture;
  let hellos: Buffer[];
  beforeAll(async () => {
    fx = await makeQuicFixture(['FLOOD', 'VH-GOOD']);
    const tls = fx.device('FLOOD');
    hellos = Array.from({ length: HOSTS.length * FILL_PER_HOST + 1000 }, () => clientHello(tls, 4433));
  }, 60_000);
  afterAll(() => fx?.cleanup());

  /** Floods a fresh server in `mode`, then connects the good vehicle while the flood goes on. */
  async function floodThenConnect(mode: RetryMode) {
    const server = (await createNgtcp2Engine({ retry: mode }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
    echoStreams(server);
    const port = server.address.port;
    const attackers = await Promise.all(HOSTS.map((h) => Attacker.open(h)));
    const pool = [...hellos];
    const seen = (): number => {
      const s = server.stats();
      return s.pending + s.handshakeErrors + s.retries + (s.refused['too many handshakes in progress'] ?? 0) + (s.refused['too many handshakes from one address'] ?? 0);
    };
    try {
      for (let i = 0; i < FILL_PER_HOST; i++) {
        for (const a of attackers) a.send(pool.pop()!, port);
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
      const fill = HOSTS.length * FILL_PER_HOST;
      await waitFor(() => seen() >= fill, 20_000, 'the flood taken in');
      const atFill = server.stats();
      let flooding = true;
      const during = (async () => {
        for (let i = 0; flooding && pool.length > 0; i++) {
          for (let j = 0; j < DURING_PER_ROUND && pool.length > 0; j++) attackers[j % attackers.length]!.send(pool.pop()!, port);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      let conn: QuicConnection | null = null;
      let error: Error | null = null;
      try {
        conn = await createNgtcp2Engine().connect({ ...fx.common(fx.device('VH-GOOD')), host: '127.0.0.1', port, serverName: 'localhost', handshakeTimeoutMs: 4000 });
        expect(await echoed(conn, 10_000)).toBe(true);
      } catch (e) {
        error = e as Error;
      }
      const duringStats = server.stats();
      flooding = false;
      await during;
      await conn?.close(0, 'done');
      const back = attackers.reduce((n, a) => n + a.received, 0);
      const sent = attackers.reduce((n, a) => n + a.sent, 0);
      console.log(`${mode}: at the fill ${atFill.pending} handshakes in progress, ${atFill.retries} Retries; after the vehicle's try ${JSON.stringify({ pending: duringStats.pending, retries: duringStats.retries, tokensAccepted: duringStats.tokensAccepted, refused: duringStats.refused })}; the flood sent ${sent} B, got ${back} B back (${(back / sent).toFixed(2)}x); vehicle: ${error ? `failed: ${error.message}` : 'connected and streamed'}`);
      for (const a of attackers) expect(a.received, 'bytes to an unvalidated address').toBeLessThanOrEqual(3 * a.sent);
      return { atFill, during: duringStats, error };
    } finally {
      for (const a of attackers) a.close();
      await server.close();
    }
  }

  it("'auto': the flood takes half the bound, then gets Retries; the vehicle proves its address and connects during the flood", async () => {
    const r = await floodThenConnect('auto');
    expect(r.error).toBeNull();
    expect(r.atFill.pending).toBeGreaterThanOrEqual(256);
    expect(r.atFill.pending).toBeLessThan(512);
    expect(r.atFill.retries).toBeGreaterThanOrEqual(HOSTS.length * FILL_PER_HOST - 512);
    expect(r.during.tokensAccepted).toBeGreaterThanOrEqual(1);
    expect(r.during.refused['too many handshakes in progress'] ?? 0).toBe(0);
  }, 90_000);

  it("'off' (no Retry): the flood fills the bound and the vehicle cannot connect until it times out", async () => {
    const r = await floodThenConnect('off');
    expect(r.atFill.pending).toBe(512);
    expect(r.atFill.retries).toBe(0);
    expect(r.error?.message).toMatch(/timed out|timeout/i);
    expect(r.during.refused['too many handshakes in progress']).toBeGreaterThan(0);
  }, 90_000);
});
