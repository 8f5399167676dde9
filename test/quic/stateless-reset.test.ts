/**
 * Stateless reset (RFC 9000 10.3) on the ngtcp2 engine: a restarted server tells the
 * devices of its predecessor at their first packet that their connection is gone, so
 * they reconnect at once instead of after the 15 s liveness check.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { startServerProcess } from '../support/server-proc.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine } from '../../src/quic/engines.js';
import { loadNative } from '../../src/quic/native-loader.js';
import { resetKeyOf } from '../../src/quic/ngtcp2-reset.js';
import { deviceTls } from '../../src/tls/material.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';

describe('stateless reset packets (native statelessReset)', () => {
  const key = randomBytes(32);
  const dcid = randomBytes(16);
  const shortPkt = (len: number) => Buffer.concat([Buffer.from([0x40 | 0x01]), dcid, randomBytes(len - 17)]);

  it('end in the token HMAC-SHA256(key, dcid)[0..16), are smaller than the packet answered and at least 21 bytes', () => {
    const token = createHmac('sha256', key).update(dcid).digest().subarray(0, 16);
    for (const len of [22, 30, 44, 100, 1200]) {
      const r = loadNative().statelessReset(key, shortPkt(len), 16)!;
      expect(r, `answer to a ${len}-byte packet`).not.toBeNull();
      expect(r.length).toBeLessThan(len);
      expect(r.length).toBeGreaterThanOrEqual(21);
      expect(r.length).toBeLessThanOrEqual(43);
      expect(r[0]! & 0xc0).toBe(0x40); // looks like a short-header packet
      expect(r.subarray(r.length - 16).equals(token)).toBe(true);
    }
  });

  it('a different key gives a different token (no server can reset another server key\'s connections)', () => {
    const a = loadNative().statelessReset(key, shortPkt(100), 16)!;
    const b = loadNative().statelessReset(randomBytes(32), shortPkt(100), 16)!;
    expect(a.subarray(a.length - 16).equals(b.subarray(b.length - 16))).toBe(false);
  });

  it('answers nothing to a packet too short to answer with a smaller reset, or to a long-header packet (no loops, no amplification)', () => {
    expect(loadNative().statelessReset(key, shortPkt(21), 16)).toBeNull();
    expect(loadNative().statelessReset(key, shortPkt(17), 16)).toBeNull();
    const long = Buffer.concat([Buffer.from([0xc0, 0, 0, 0, 1, 16]), dcid, randomBytes(60)]);
    expect(loadNative().statelessReset(key, long, 16)).toBeNull();
  });

  it('the server key derives a stable 32-byte reset key, different per server key', () => {
    expect(resetKeyOf('KEY-A').equals(resetKeyOf('KEY-A'))).toBe(true);
    expect(resetKeyOf('KEY-A').equals(resetKeyOf('KEY-B'))).toBe(false);
    expect(resetKeyOf('KEY-A')).toHaveLength(32);
  });
});

describe('ingest server SIGKILLed and restarted (ngtcp2): the device learns it from a stateless reset', () => {
  const fleet = useFleet(['truck-7']);

  it('reconnects at its first packet to the restarted server, not after the 15 s liveness check', async () => {
    const db = join(fleet.dir, 'reset.db');
    let srv = await startServerProcess({ ca: fleet.ca, db, engine: 'ngtcp2' });
    const port = srv.port;
    const spool = new MemSpool();
    const link = new DeviceLink({ engine: createEngine('ngtcp2'), spool, server: { host: '127.0.0.1', port }, tls: deviceTls(fleet.ca, 'truck-7'), clock: systemClock, log: silentLogger(), device: 'truck-7', random: () => 0 });
    const producer = setInterval(() => {
      spool.append(new Uint8Array(40), Date.now());
      link.notify();
    }, 200);
    try {
      link.start();
      await waitFor(() => spool.ackedSeq >= 5, 20_000, 'records acked before the kill');
      await srv.kill9();
      await new Promise((r) => setTimeout(r, 2000));
      srv = await startServerProcess({ ca: fleet.ca, db, port, engine: 'ngtcp2' });
      await waitFor(() => link.stats.sessions >= 2, 12_000, 'a new session with the restarted server (before liveness would fire)');
      expect(link.stats.lastClose).toMatch(/stateless reset/);
      const acked = spool.ackedSeq;
      await waitFor(() => spool.ackedSeq > acked + 3, 10_000, 'records acked by the restarted server');
    } finally {
      clearInterval(producer);
      await link.stop();
      await srv.stop();
    }
  }, 90_000);
});
