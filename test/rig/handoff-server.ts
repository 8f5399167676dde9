/**
 * Handoff benchmark server (server namespace): acknowledges every newline record
 * "SEQ ..." with "ack SEQ\n", over QUIC (ngtcp2 engine, UDP 4433) and over
 * TCP + TLS 1.3 (node:tls, TCP 4434), same certificates, client certificates required.
 *   env RIG_TLS_DIR
 */
import { createServer } from 'node:tls';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import { serverTls } from '../../src/tls/material.js';

function acker(write: (b: Buffer) => unknown): (chunk: Uint8Array) => void {
  let rest = '';
  return (chunk) => {
    rest += Buffer.from(chunk).toString();
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) write(Buffer.from(`ack ${l.split(' ')[0]}\n`));
  };
}

async function main(): Promise<void> {
  const tls = serverTls(process.env.RIG_TLS_DIR!, 'localhost');
  const q = await createNgtcp2Engine().listen({ host: '10.200.9.2', port: 4433, alpn: ['geostream/1.0'], tls, idleTimeoutMs: 180_000, keepAliveMs: 20_000 });
  q.on('connection', (c) =>
    c.on('stream', (s) => {
      const ack = acker((b) => void s.write(b).catch(() => undefined));
      void (async () => {
        for await (const chunk of s) ack(chunk);
      })().catch(() => undefined);
    }),
  );
  const t = createServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ALPNProtocols: ['geostream/1.0'] }, (sock) => {
    sock.setNoDelay(true);
    sock.on('data', acker((b) => sock.write(b)));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => t.listen(4434, '10.200.9.2', () => r()));
  process.stdout.write(`${JSON.stringify({ t: 'listening', at: Date.now() })}\n`);
}

main().catch((e: Error) => {
  process.stdout.write(`${JSON.stringify({ t: 'fatal', message: e.message, at: Date.now() })}\n`);
  process.exit(1);
});
