/**
 * Characterisation of @matrixai/quic 2.0.9 (quiche 0.18) limits the link layer
 * must design around (../shared/notes/quic.md). If the library is upgraded and
 * these start failing, the link's workarounds can be revisited: that is the point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/quic/engines.js';
import type { PathChange, QuicConnection } from '../../src/quic/engine.js';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';

let fx: QuicFixture;
beforeAll(async () => {
  fx = await makeQuicFixture(['VH-1']);
});
afterAll(async () => {
  await fx?.cleanup();
});

async function echo(conn: QuicConnection, text: string, timeoutMs: number): Promise<boolean> {
  const s = await conn.openStream('bidi');
  await s.write(Buffer.from(text));
  await s.end();
  const it = s[Symbol.asyncIterator]();
  const got = await Promise.race([it.next().then(() => true, () => false), new Promise<false>((r) => setTimeout(() => r(false), timeoutMs))]);
  return got;
}

describe('matrixai engine limits', () => {
  it('follows the first address change but silently drops a second one on the same connection', async () => {
    const engine = createEngine('matrixai');
    const server = await engine.listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
    const paths: PathChange[] = [];
    let handshakes = 0;
    server.on('connection', (c) => {
      handshakes++;
      c.on('path', (p) => paths.push(p));
      c.on('stream', async (s) => {
        try {
          for await (const chunk of s) await s.write(chunk);
          await s.end();
        } catch {
          // connection closed at the end of the test
        }
      });
    });
    const relay = await UdpRelay.start({ host: '127.0.0.1', port: server.address.port });
    try {
      const conn = await engine.connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port: relay.address.port, serverName: 'localhost' });
      expect(await echo(conn, 'before', 3_000)).toBe(true);
      await relay.rebind('127.0.0.2');
      expect(await echo(conn, 'first move', 3_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500)); // let the path validate
      expect(paths).toHaveLength(1);
      await relay.rebind('127.0.0.3');
      expect(await echo(conn, 'second move', 3_000)).toBe(false);
      expect(paths).toHaveLength(1);
      expect(handshakes).toBe(1);
      await conn.close(0, 'done');
    } finally {
      await relay.close();
      await server.close();
    }
  });
});
