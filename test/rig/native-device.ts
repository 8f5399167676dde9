/**
 * Rig device (runs in the vehicle namespace): one ngtcp2 connection for the whole
 * run, a record "SEQ MS" every RIG_RECORD_MS on one stream, queued in memory while
 * the link cannot take them (the spool's job in the product). Prints JSON lines.
 *   env RIG_TLS_DIR, RIG_HOST, RIG_PORT, RIG_IDLE_MS, RIG_RECORD_MS
 */
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import { deviceTls } from '../../src/tls/material.js';

const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
const engine = createNgtcp2Engine({ routePollMs: 250, activeMigration: (process.env.RIG_ACTIVE as 'fallback' | 'always' | 'off' | undefined) ?? 'fallback' });

async function main(): Promise<void> {
  const conn = await engine.connect({
    host: process.env.RIG_HOST!,
    port: Number(process.env.RIG_PORT),
    serverName: 'localhost',
    alpn: ['geostream/1.0'],
    tls: deviceTls(process.env.RIG_TLS_DIR!, 'VH-RIG'),
    idleTimeoutMs: Number(process.env.RIG_IDLE_MS ?? 180_000),
    keepAliveMs: 20_000,
    handshakeTimeoutMs: 10_000,
  });
  out({ t: 'connected', id: conn.id });
  conn.on('path', (p) => out({ t: 'path', from: `${p.from.host}:${p.from.port}`, to: `${p.to.host}:${p.to.port}` }));
  conn.on('close', (i) => {
    out({ t: 'close', ...i });
    process.exit(3);
  });
  const stream = await conn.openStream('uni');
  const queue: string[] = [];
  let seq = 0;
  let stopping = false;
  const tick = setInterval(() => queue.push(`${++seq} ${Date.now()}\n`), Number(process.env.RIG_RECORD_MS ?? 100));
  let written = 0;
  process.on('SIGTERM', () => {
    stopping = true;
    clearInterval(tick);
  });
  while (!stopping || queue.length) {
    const batch = queue.splice(0);
    if (batch.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    await stream.write(Buffer.from(batch.join('')));
    written += batch.length;
  }
  out({ t: 'final', sent: seq, written, stats: conn.stats() });
  // Give the last bytes time to be acknowledged, then leave cleanly.
  await new Promise((r) => setTimeout(r, 2000));
  await conn.close(0, 'device done');
  process.exit(0);
}

main().catch((e: Error) => {
  out({ t: 'fatal', message: e.message });
  process.exit(1);
});
