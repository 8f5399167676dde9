/**
 * A long-running ngtcp2 server picks up renewed TLS files without a restart: the
 * fleet moves to a new CA (new ca.pem, server certificate, key and CRL written into the
 * server's CA directory), and new handshakes use it while an open connection keeps
 * going; files that do not load leave the credentials in use, with one warning.
 */
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { QuicConnection, QuicEngine, QuicServer } from '../../src/quic/engine.js';
import { QuicError } from '../../src/quic/engine.js';
import { caFiles, initCa, issueCert } from '../../src/tls/ca.js';
import { deviceTls, serverTls, type TlsMaterial } from '../../src/tls/material.js';
import { createLogger } from '../../src/base/log.js';
import { ALPN } from '../support/quic-fixture.js';

const common = (tls: TlsMaterial) => ({ alpn: [ALPN], tls, idleTimeoutMs: 180_000, keepAliveMs: 20_000 });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Replaces `to` by `from` in one rename, as a deploy tool writes a file. */
function install(from: string, to: string): void {
  copyFileSync(from, `${to}.new`);
  renameSync(`${to}.new`, to);
}

describe('ngtcp2 server: TLS files renewed under a running server', () => {
  let root: string;
  let live: string;
  let next: string;
  const lines: string[] = [];
  let engine: QuicEngine;
  let server: QuicServer;
  const open: QuicConnection[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'gs-tls-reload-'));
    live = join(root, 'ca');
    next = join(root, 'next-ca');
    for (const [dir, name] of [[live, 'old fleet CA'], [next, 'new fleet CA']] as const) {
      await initCa(dir, { name });
      await issueCert(dir, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
      await issueCert(dir, { kind: 'device', vehicleId: 'VH-1' });
    }
    const log = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(...String(c).trim().split('\n')), cb()) }) });
    engine = createNgtcp2Engine({ log });
    server = await engine.listen({ ...common(serverTls(live, 'localhost')), host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const c of open) await c.close(0, 'test over').catch(() => undefined);
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const connect = async (tls: TlsMaterial) => {
    const c = await engine.connect({ ...common(tls), host: '127.0.0.1', port: server.address.port, serverName: 'localhost', handshakeTimeoutMs: 5000 });
    open.push(c);
    return c;
  };
  const refused = (tls: TlsMaterial) =>
    connect(tls).then(
      () => null,
      (e: unknown) => e as QuicError,
    );

  it('new handshakes use the new CA and certificate; the open connection stays; bad files keep what is in use', async () => {
    const before = await connect(deviceTls(live, 'VH-1'));
    const oldDevice = deviceTls(live, 'VH-1');
    const newDevice = deviceTls(next, 'VH-1');
    expect(await refused(newDevice)).toBeInstanceOf(QuicError);

    const from = caFiles(next);
    const to = caFiles(live);
    install(join(next, 'servers', 'localhost.pem'), join(live, 'servers', 'localhost.pem'));
    install(join(next, 'servers', 'localhost.key'), join(live, 'servers', 'localhost.key'));
    install(from.cert, to.cert);
    install(from.crl, to.crl);
    await pause(1100);

    // the first handshake after the check interval loads the new files
    expect(await refused(newDevice)).toBeNull();
    expect(lines.filter((l) => l.includes('TLS credentials reloaded'))).toHaveLength(1);
    const err = await refused(oldDevice);
    expect(err).toBeInstanceOf(QuicError);
    expect(err!.message).toMatch(/unknown CA|not by the trusted CA|certificate/i);
    // the connection made before the change is still up
    const s = await before.openStream('bidi');
    await s.write(Buffer.from('still here'));
    await s.end();

    // a key file that is not a key: one warning, the new credentials stay in use
    writeFileSync(join(live, 'servers', 'localhost.key'), 'not a key\n');
    await pause(1100);
    expect(await refused(newDevice)).toBeNull();
    await pause(1100);
    expect(await refused(newDevice)).toBeNull();
    const warned = lines.filter((l) => l.includes('TLS files changed but do not load'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).not.toContain('PRIVATE KEY');
  }, 60_000);
});
