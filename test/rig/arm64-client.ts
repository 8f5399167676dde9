/**
 * The device side of the arm64 test (test/native/arm64.test.ts): bundled with
 * esbuild and run by an arm64 Node under qemu-aarch64-static, it loads the
 * cross-built addon through the one loader, connects to the x64 server, sends
 * 1,000 newline records on one stream and waits for the server's count.
 *   argv: HOST PORT TLS_DIR
 */
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import { loadNative } from '../../src/quic/native-loader.js';
import { deviceTls } from '../../src/tls/material.js';

async function main(): Promise<void> {
  const [host, port, dir] = process.argv.slice(2);
  const native = loadNative();
  const engine = createNgtcp2Engine({ activeMigration: false });
  const conn = await engine.connect({
    host: host!,
    port: Number(port),
    serverName: 'localhost',
    alpn: ['geostream/1.0'],
    tls: deviceTls(dir!, 'VH-ARM64'),
    idleTimeoutMs: 180_000,
    keepAliveMs: 20_000,
    handshakeTimeoutMs: 60_000,
  });
  const s = await conn.openStream('bidi');
  for (let i = 1; i <= 1000; i++) await s.write(Buffer.from(`${i} record from an arm64 device\n`));
  await s.end();
  let reply = '';
  for await (const c of s) reply += Buffer.from(c).toString();
  console.log(JSON.stringify({ arch: process.arch, node: process.version, addon: native.version(), reply: reply.trim() }));
  await conn.close(0, 'done');
}

main().catch((e: Error) => {
  console.error(`arm64 client failed: ${e.message}`);
  process.exit(1);
});
