import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeFleet } from '../helpers/link-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { MemSpool } from '../helpers/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { availableEngines, createEngine } from '../../src/link/quic/engines.js';
import type { QuicConnection, QuicEngine, TlsMaterial } from '../../src/link/quic/engine.js';
import { deviceTls, serverTls } from '../../src/link/tls/material.js';
import { vehicleIdFromCert } from '../../src/link/tls/identity.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store.js';
import { CloseCode } from '../../src/link/core/close-codes.js';
import { ALPN, encodeFrame, PROTOCOL_VERSION } from '../../src/link/core/frames.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/util/clock.js';
import { StatusBoard } from '../../src/status/board.js';

/**
 * Hostile and misconfigured peers against one server while a good device keeps
 * streaming: each is refused with a clear reason, the good device loses nothing.
 */
describe.each(availableEngines())('refusals over real QUIC (engine %s)', (engineName) => {
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  let other: Awaited<ReturnType<typeof makeFleet>>;
  let store: Store;
  let server: IngestServer;
  let engine: QuicEngine;
  const warnings: string[] = [];
  const good = { spool: new MemSpool(), status: new StatusBoard(), link: null as DeviceLink | null };

  beforeAll(async () => {
    fleet = await makeFleet(['truck-1', 'truck-2']);
    other = await makeFleet(['truck-1'], 'gs-link-other-');
    store = Store.open(join(fleet.dir, 'refusals.db'));
    const log = silentLogger();
    log.warn = ((...args: unknown[]) => void warnings.push(String(args.at(-1)))) as typeof log.warn;
    server = new IngestServer({ engine: createEngine(engineName), store, host: '127.0.0.1', port: 0, tls: serverTls(fleet.ca, 'localhost'), log, identify: vehicleIdFromCert, helloTimeoutMs: 1500 });
    await server.start();
    engine = createEngine(engineName);
    good.link = new DeviceLink({ engine: createEngine(engineName), spool: good.spool, server: server.address, tls: deviceTls(fleet.ca, 'truck-2'), clock: systemClock, log: silentLogger(), status: good.status, device: 'truck-2' });
    good.link.start();
    await waitFor(() => good.status.link === 'online', 10_000, 'good device online');
  }, 30_000);

  afterAll(async () => {
    // the good device kept streaming through every refusal
    for (let i = 0; i < 100; i++) good.spool.append(Uint8Array.of(i), i);
    good.link!.notify();
    await waitFor(() => good.spool.ackedSeq === good.spool.headSeq, 10_000, 'good device fully acked');
    expect(store.seqs('truck-2')).toHaveLength(good.spool.headSeq);
    expect(store.stats().find((s) => s.device === 'truck-2')).toMatchObject({ duplicates: 0, handshakes: 1 });
    await good.link!.stop();
    await server.stop();
    store.close();
    fleet.cleanup();
    other.cleanup();
  });

  const connect = (tls: TlsMaterial, alpn = [ALPN]) =>
    engine.connect({ host: '127.0.0.1', port: server.address.port, serverName: 'localhost', alpn, tls, idleTimeoutMs: 30_000, keepAliveMs: 5_000, handshakeTimeoutMs: 5_000 });
  const streamGood = () => {
    for (let i = 0; i < 20; i++) good.spool.append(Uint8Array.of(i), i);
    good.link!.notify();
  };
  const closeOf = (c: QuicConnection) => new Promise<{ code: number; reason: string }>((res) => c.on('close', (i) => res(i)));

  it('a device without a client certificate fails the handshake (TLS), the server logs it', async () => {
    streamGood();
    const tls = { ...deviceTls(fleet.ca, 'truck-1'), cert: '', key: '' };
    const before = server.counters.handshakeErrors;
    const r = await connect(tls).then(
      async (c) => closeOf(c),
      (e: Error) => ({ code: -1, reason: e.message }),
    );
    expect(r.reason).toMatch(/certificate|handshake|alert/i);
    await waitFor(() => server.counters.handshakeErrors > before || server.counters.refused > 0, 5000, 'server noticed');
  });

  it('a certificate from another CA is refused in the handshake with a reason naming the certificate', async () => {
    streamGood();
    const tls = { ...deviceTls(other.ca, 'truck-1'), ca: deviceTls(fleet.ca, 'truck-1').ca };
    const before = server.counters.handshakeErrors;
    const r = await connect(tls).then(
      async (c) => closeOf(c),
      (e: Error) => ({ code: -1, reason: e.message }),
    );
    expect(r.reason).toMatch(/certificate|unknown ca|alert/i);
    await waitFor(() => server.counters.handshakeErrors > before, 5000, 'server logged the handshake error');
    expect(warnings.join('\n')).toMatch(/handshake from 127\.0\.0\.1:\d+ refused/);
  });

  it('a wrong ALPN is refused', async () => {
    streamGood();
    await expect(connect(deviceTls(fleet.ca, 'truck-1'), ['h3'])).rejects.toThrow(/alpn|ALPN|protocol/);
  });

  it('a HELLO for another vehicle is refused with the identity close code', async () => {
    streamGood();
    const spool = new MemSpool();
    const liar = new DeviceLink({ engine: createEngine(engineName), spool, server: server.address, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), device: 'truck-9' });
    liar.start();
    await waitFor(() => liar.stats.lastClose !== null, 10_000, 'liar refused');
    await liar.stop();
    expect(liar.stats.lastClose).toMatch(/identity \(0x03\) HELLO names device "truck-9" but the certificate is for "truck-1"/);
  });

  it('a connection that never says HELLO is closed after the HELLO deadline', async () => {
    streamGood();
    const c = await connect(deviceTls(fleet.ca, 'truck-1'));
    const closed = closeOf(c);
    await c.openStream('bidi');
    expect(await closed).toMatchObject({ code: CloseCode.protocol, reason: 'no HELLO within 1500 ms' });
  });

  it('malformed and oversized frames close only that connection, with the reason', async () => {
    streamGood();
    const c1 = await connect(deviceTls(fleet.ca, 'truck-1'));
    const closed1 = closeOf(c1);
    const s1 = await c1.openStream('bidi');
    await s1.write(Uint8Array.of(0x42, 0, 0, 0, 1, 0));
    expect(await closed1).toMatchObject({ code: CloseCode.protocol, reason: 'control stream: unknown frame type 0x42' });

    const c2 = await connect(deviceTls(fleet.ca, 'truck-1'));
    const closed2 = closeOf(c2);
    const s2 = await c2.openStream('bidi');
    await s2.write(encodeFrame({ type: 'HELLO', version: PROTOCOL_VERSION, device: 'truck-1', firmware: 't', schema: 1, spool: 'abcdef0123456789', head: 0, acked: 0 }));
    const u = await c2.openStream('uni');
    await u.write(Uint8Array.of(0x03, 0x40, 0, 0, 0)); // a 1 GiB BATCH
    expect(await closed2).toMatchObject({ code: CloseCode.tooLarge, reason: expect.stringMatching(/BATCH frame of 1073741824 bytes, limit/) });
    expect(warnings.join('\n')).toMatch(/refused truck-1 from 127\.0\.0\.1:\d+: tooLarge \(0x02\) data stream/);
  });
});
