/**
 * Rig server (runs in the server namespace): an ngtcp2-engine ingest stand-in that
 * reads newline-separated records "SEQ MS" from each device stream and prints one
 * JSON line per event on stdout for the rig controller (test/rig/native-rig.ts).
 *   env RIG_TLS_DIR, RIG_HOST, RIG_PORT, RIG_IDLE_MS
 */
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import { serverTls } from '../../src/tls/material.js';

const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
const engine = createNgtcp2Engine();

async function main(): Promise<void> {
  const server = await engine.listen({
    host: process.env.RIG_HOST!,
    port: Number(process.env.RIG_PORT),
    alpn: ['geostream/1.0'],
    tls: serverTls(process.env.RIG_TLS_DIR!, 'localhost'),
    idleTimeoutMs: Number(process.env.RIG_IDLE_MS ?? 180_000),
    keepAliveMs: 20_000,
  });
  let handshakes = 0;
  let pathChanges = 0;
  server.on('handshakeError', (err) => out({ t: 'handshakeError', code: err.code, message: err.message }));
  server.on('connection', (c) => {
    handshakes++;
    out({ t: 'conn', id: c.id, remote: `${c.remote.host}:${c.remote.port}` });
    c.on('path', (p) => {
      pathChanges++;
      out({ t: 'path', from: `${p.from.host}:${p.from.port}`, to: `${p.to.host}:${p.to.port}` });
    });
    c.on('close', (i) => out({ t: 'close', ...i }));
    c.on('stream', (s) => {
      void (async () => {
        let rest = '';
        for await (const chunk of s) {
          rest += Buffer.from(chunk).toString();
          const lines = rest.split('\n');
          rest = lines.pop()!;
          for (const l of lines) {
            const [seq, ms] = l.split(' ').map(Number);
            out({ t: 'rec', seq, sentAt: ms, remote: `${c.remote.host}:${c.remote.port}` });
          }
        }
      })().catch((e: Error) => out({ t: 'streamError', message: e.message }));
    });
  });
  out({ t: 'listening', port: server.address.port });
  process.on('SIGTERM', () => {
    out({ t: 'stats', handshakes, pathChanges, engine: (server as Ngtcp2Server).stats() });
    void server.close(0, 'rig over').then(() => process.exit(0));
  });
}

main().catch((e: Error) => {
  out({ t: 'fatal', message: e.message });
  process.exit(1);
});
