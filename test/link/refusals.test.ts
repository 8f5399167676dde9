import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { serverWithGoodVehicle } from '../support/good-vehicle.js';
import { MemSpool } from '../support/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import type { QuicConnection, QuicEngine } from '../../src/quic/engine.js';
import type { TlsMaterial } from '../../src/tls/material.js';
import { deviceTls } from '../../src/tls/material.js';
import { IngestServer } from '../../src/server/server.js';
import { CloseCode } from '../../src/protocol/close-codes.js';
import { ALPN, PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { encodeFrame } from '../../src/protocol/wire.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';

/**
 * Hostile and misconfigured peers against one server while a good device keeps
 * streaming: each is refused with a clear reason, the good device loses nothing.
 */
describe.each(availableEngines())('refusals over real QUIC (engine %s)', (engineName) => {
  const other = useFleet(['truck-1'], 'gs-link-other-');
  let rig: Awaited<ReturnType<typeof serverWithGoodVehicle>>;
  let fleet: typeof rig.fleet;
  let server: IngestServer;
  let good: typeof rig.good;
  let engine: QuicEngine;
  const warnings: string[] = [];

  beforeAll(async () => {
    const log = silentLogger();
    log.warn = ((...args: unknown[]) => void warnings.push(String(args.at(-1)))) as typeof log.warn;
    rig = await serverWithGoodVehicle(engineName, 'refusals.db', { log, helloTimeoutMs: 1500 });
    ({ fleet, server, good } = rig);
    engine = createEngine(engineName);
  }, 30_000);

  afterAll(async () => {
    // the good device kept streaming through every refusal
    await rig.stop();
  });

  const connect = (tls: TlsMaterial, alpn = [ALPN]) =>
    engine.connect({ host: '127.0.0.1', port: server.address.port, serverName: 'localhost', alpn, tls, idleTimeoutMs: 30_000, keepAliveMs: 5_000, handshakeTimeoutMs: 5_000 });
  const streamGood = () => good.stream();
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
    expect(warnings.join('\n')).toMatch(/handshake refused: .*\(from 127\.0\.0\.1:\d+\)/);
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
    expect(warnings.join('\n')).toMatch(/refused truck-1 from 127\.0\.0\.1:\d+: too-large \(0x02\) data stream/);
  });
});
