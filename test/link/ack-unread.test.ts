/**
 * A device over real QUIC on loopback against a server that ACKs every record the
 * device wrote and never reads the data stream: the protocol's in-flight count is
 * zero after every ACK while QUIC flow control holds the bytes on the device. The
 * device's transport must stay within MAX_INFLIGHT_BYTES (plus one frame) while far
 * more is spooled.
 */
import { describe, expect, it } from 'vitest';
import { useFleet } from '../support/link-fixture.js';
import { MemSpool } from '../support/mem-spool.js';
import { startUnreadServer } from '../support/unread-server.js';
import { waitFor } from '../support/wait.js';
import { DeviceLink } from '../../src/link/device.js';
import { MAX_INFLIGHT_BYTES } from '../../src/protocol/device-core.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';

/** 20,000 records of 1 kB: 20 MB spooled, ten times the bound. */
const RECORDS = 20_000;
const RECORD_BYTES = 1000;
/** The largest frame the server's pushed batchBytes allows (64 KiB of payload plus framing). */
const FRAME = 64 * 1024 + 8 * 1024;
const mb = (n: number) => (n / 1024 / 1024).toFixed(2);

describe.each(availableEngines())('a server that ACKs what the device wrote and never reads it (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1']);

  it('the device stops writing at the bound of bytes in its transport, with far more spooled, and stays there', async () => {
    const spool = new MemSpool();
    for (let i = 0; i < RECORDS; i++) spool.append(new Uint8Array(RECORD_BYTES).fill(i & 0xff), 1_600_000_000_000 + i * 1000);
    let link: DeviceLink | null = null;
    const server = await startUnreadServer(engineName, serverTls(fleet.ca, 'localhost'), () => link?.stats.sentRecords ?? 0);
    const mem0 = process.memoryUsage();
    link = new DeviceLink({ engine: createEngine(engineName), spool, server: server.server.address, serverName: 'localhost', tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), device: 'truck-1' });
    try {
      link.start();
      const l = link;
      await waitFor(() => l.buffered().backlog >= MAX_INFLIGHT_BYTES, 30_000, `${mb(MAX_INFLIGHT_BYTES)} MiB buffered in the device's transport`);
      // from here on, every further ACK the server sends finds the device at the bound
      const peak = { buffered: 0, sent: 0 };
      const sample = () => {
        peak.buffered = Math.max(peak.buffered, l.buffered().backlog);
        peak.sent = l.stats.sentRecords;
      };
      const acks = server.acks;
      await waitFor(() => (sample(), server.acks >= acks + 50), 30_000, '50 more ACKs from the server');
      const mem = process.memoryUsage();
      console.log(
        `${engineName}: ${RECORDS} records (${mb(RECORDS * RECORD_BYTES)} MiB) spooled; device wrote ${peak.sent} records (${mb(peak.sent * RECORD_BYTES)} MiB of payload), all acked by the server; ` +
          `bytes in the device's transport: peak ${peak.buffered} (${mb(peak.buffered)} MiB), bound ${MAX_INFLIGHT_BYTES}; this process (device and server) RSS ${mb(mem0.rss)} -> ${mb(mem.rss)} MiB, ArrayBuffers ${mb(mem0.arrayBuffers)} -> ${mb(mem.arrayBuffers)} MiB`,
      );
      expect(l.state).toBe('online');
      expect(l.stats.inflight).toBe(0); // the protocol's own count is no bound here
      expect(peak.buffered).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + FRAME);
      // the device wrote what the transport holds plus what the peer's flow control let out, not the spool
      expect(peak.sent * RECORD_BYTES).toBeLessThan(RECORDS * RECORD_BYTES / 2);
      expect(spool.ackedSeq).toBe(peak.sent);
      expect(spool.headSeq - spool.ackedSeq).toBeGreaterThan(RECORDS / 2);
    } finally {
      await link.stop();
      await server.close();
    }
  }, 90_000);
});
