/**
 * An echo over QUIC for tests that need a real stream through a server: the server side
 * sends back every bidirectional stream it is given; the client side checks a payload
 * comes back whole.
 */
import { randomBytes } from 'node:crypto';
import type { QuicConnection, QuicServer, QuicStream } from '../../src/quic/engine.js';

/** Makes `server` echo every stream its peers open. */
export function echoStreams(server: QuicServer): void {
  server.on('connection', (c: QuicConnection) => {
    c.on('stream', (s: QuicStream) => {
      void (async () => {
        for await (const chunk of s) await s.write(chunk);
        await s.end();
      })().catch(() => undefined);
    });
  });
}

/** Sends `bytes` random bytes on a new bidirectional stream of conn; true when all came back as sent. */
export async function echoed(conn: QuicConnection, bytes: number): Promise<boolean> {
  const st = await conn.openStream('bidi');
  const payload = randomBytes(bytes);
  const back: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of st) back.push(Buffer.from(chunk));
  })();
  await st.write(payload);
  await st.end();
  await reading;
  return Buffer.concat(back).equals(payload);
}
