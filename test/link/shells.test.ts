import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemNet } from '../support/mem-engine.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';

// The shells (DeviceLink, Session, IngestServer) over an in-memory transport and a
// real SQLite file. The same paths over real QUIC are in test/link/e2e-inproc.test.ts.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(commitDelayMs = 20) {
  const dir = mkdtempSync(join(tmpdir(), 'gs-link-shell-'));
  dirs.push(dir);
  const net = new MemNet();
  const store = Store.open(join(dir, 'db.sqlite'));
  const server = new IngestServer({ engine: net.engine(), store, host: '127.0.0.1', port: 4433, tls: { cert: 'server', key: 'k', ca: 'ca' }, log: silentLogger(), identify: (der) => new TextDecoder().decode(der), commitDelayMs });
  await server.start();
  const mk = (id = 'truck-1', spool = new MemSpool()) => {
    const status = new StatusBoard();
    const link = new DeviceLink({ engine: net.engine(), spool, server: '127.0.0.1:4433', tls: { cert: id, key: 'k', ca: 'ca' }, clock: systemClock, log: silentLogger(), status, device: id, random: () => 0 });
    return { link, spool, status };
  };
  return { net, store, server, mk };
}

const until = (cond: () => boolean, ms = 5000) => waitFor(cond, ms, 'condition');

describe('device link and ingest server shells', () => {
  it('records appended while online are stored once and acked, the status board follows', async () => {
    const { store, server, mk } = await setup();
    const d = mk();
    d.link.start();
    await until(() => d.status.link === 'online');
    for (let i = 0; i < 2000; i++) d.spool.append(Uint8Array.of(i & 0xff), i);
    d.link.notify();
    await until(() => d.spool.ackedSeq === 2000);
    expect(store.seqs('truck-1')).toHaveLength(2000);
    expect(store.stats()[0]).toMatchObject({ records: 2000, duplicates: 0, handshakes: 1 });
    expect(d.status.snapshot().backlog).toBe(0);
    await d.link.stop();
    expect(d.status.link).toBe('disabled');
    await server.stop();
  });

  it('a transport failure mid-stream: the device reconnects and nothing is lost or stored twice', async () => {
    const { net, store, server, mk } = await setup();
    const d = mk();
    d.link.start();
    await until(() => d.status.link === 'online');
    for (let i = 0; i < 500; i++) d.spool.append(Uint8Array.of(1), i);
    d.link.notify();
    net.killAll();
    for (let i = 0; i < 500; i++) d.spool.append(Uint8Array.of(2), i);
    d.link.notify();
    await until(() => d.spool.ackedSeq === 1000);
    expect(store.seqs('truck-1')).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    await d.link.stop();
    await server.stop();
  });

  it('graceful stop commits what arrived and acks it before closing the connection', async () => {
    const { store, server, mk } = await setup(60_000);
    const d = mk();
    d.link.start();
    await until(() => d.status.link === 'online');
    for (let i = 0; i < 300; i++) d.spool.append(Uint8Array.of(i & 0xff), i);
    d.link.notify();
    // the records reach the server's queue; the group commit would wait a minute
    await until(() => store.queued === 300);
    expect(d.spool.ackedSeq).toBe(0);
    await server.stop();
    expect(d.spool.ackedSeq).toBe(300);
    expect(store.seqs('truck-1')).toHaveLength(300);
    await until(() => d.link.stats.lastClose !== null);
    expect(d.link.stats.lastClose).toMatch(/shutdown \(0x05\) server shutting down/);
    await d.link.stop();
  });

  it('a HELLO for another vehicle is refused and the server keeps serving the others', async () => {
    const { store, server, mk } = await setup();
    const good = mk('truck-1');
    const liar = mk('truck-2');
    // truck-2's link claims truck-1's certificate
    (liar.link as unknown as { o: { tls: { cert: string } } }).o.tls.cert = 'truck-1x';
    liar.link.start();
    good.link.start();
    await until(() => good.status.link === 'online');
    await until(() => liar.link.stats.lastClose !== null && /identity/.test(liar.link.stats.lastClose));
    expect(liar.link.stats.lastClose).toMatch(/HELLO names device "truck-2" but the certificate is for "truck-1x"/);
    good.spool.append(Uint8Array.of(9), 0);
    good.link.notify();
    await until(() => good.spool.ackedSeq === 1);
    expect(store.stats().map((s) => s.device)).toEqual(['truck-1']);
    await good.link.stop();
    await liar.link.stop();
    await server.stop();
  });
});
