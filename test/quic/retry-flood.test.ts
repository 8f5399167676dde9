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
import { clientHellos, FLOOD_HOSTS, HandshakeFlood, handled } from '../support/handshake-flood.js';
import { waitFor } from '../support/wait.js';
import { echoed, echoStreams } from '../support/quic-echo.js';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { QuicConnection } from '../../src/quic/engine.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import type { RetryMode } from '../../src/quic/ngtcp2-retry.js';
import { nativeAvailable } from '../../src/quic/native-loader.js';

/** ClientHellos each flood address sends at first: 10 x 70 = 700, more than the 512 the server holds. */
const FILL_PER_HOST = 70;
const FILL = FLOOD_HOSTS.length * FILL_PER_HOST;

describe.skipIf(!nativeAvailable())('a handshake flood and Retry (ngtcp2)', () => {
  let fx: QuicFixture;
  let hellos: Buffer[];
  beforeAll(async () => {
    fx = await makeQuicFixture(['FLOOD', 'VH-GOOD']);
    hellos = clientHellos(fx.device('FLOOD'), FILL + 1000);
  }, 60_000);
  afterAll(() => fx?.cleanup());

  /** Floods a fresh server in `mode`, then connects the good vehicle while the flood goes on. */
  async function floodThenConnect(mode: RetryMode) {
    const server = (await createNgtcp2Engine({ retry: mode }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
    echoStreams(server);
    const port = server.address.port;
    try {
      const flood = await HandshakeFlood.burst(hellos, port, FILL_PER_HOST);
      await waitFor(() => handled(server) >= FILL, 20_000, 'the flood taken in');
      const atFill = server.stats();
      flood.keepUp();
      let conn: QuicConnection | null = null;
      let error: Error | null = null;
      try {
        conn = await createNgtcp2Engine().connect({ ...fx.common(fx.device('VH-GOOD')), host: '127.0.0.1', port, serverName: 'localhost', handshakeTimeoutMs: 4000 });
        expect(await echoed(conn, 10_000)).toBe(true);
      } catch (e) {
        error = e as Error;
      }
      const during = server.stats();
      const f = await flood.stop();
      await conn?.close(0, 'done');
      console.log(`${mode}: at the fill ${atFill.pending} handshakes in progress, ${atFill.retries} Retries; after the vehicle's try ${JSON.stringify({ pending: during.pending, retries: during.retries, tokensAccepted: during.tokensAccepted, refused: during.refused })}; the flood sent ${f.sent} B, got ${f.back} B back (${(f.back / f.sent).toFixed(2)}x); vehicle: ${error ? `failed: ${error.message}` : 'connected and streamed'}`);
      expect(f.worstRatio, 'bytes to an unvalidated address per byte it sent').toBeLessThanOrEqual(3);
      return { atFill, during, error };
    } finally {
      await server.close();
    }
  }

  it("'auto': the flood takes half the bound, then gets Retries; the vehicle proves its address and connects during the flood", async () => {
    const r = await floodThenConnect('auto');
    expect(r.error).toBeNull();
    expect(r.atFill.pending).toBeGreaterThanOrEqual(256);
    expect(r.atFill.pending).toBeLessThan(512);
    expect(r.atFill.retries).toBeGreaterThanOrEqual(FILL - 512);
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
