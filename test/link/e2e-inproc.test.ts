import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import { vehicleIdFromCert } from '../../src/tls/identity.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';

describe.each(availableEngines())('device link to ingest server over real QUIC on loopback (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1', 'truck-2']);

  it('10k records end to end are each stored exactly once and the spool is acked to its head', async () => {
    const store = Store.open(join(fleet.dir, `${engineName}-10k.db`));
    const server = new IngestServer({ engine: createEngine(engineName), store, host: '127.0.0.1', port: 0, tls: serverTls(fleet.ca, 'localhost'), log: silentLogger(), identify: vehicleIdFromCert });
    await server.start();
    const spool = new MemSpool();
    const status = new StatusBoard();
    const link = new DeviceLink({ engine: createEngine(engineName), spool, server: server.address, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status, device: 'truck-1' });
    try {
      link.start();
      await waitFor(() => status.link === 'online', 10_000, 'link online');
      for (let b = 0; b < 10; b++) {
        for (let i = 0; i < 1000; i++) spool.append(new Uint8Array(48).fill(i & 0xff), 1_600_000_000_000 + (b * 1000 + i) * 1000);
        link.notify();
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => spool.ackedSeq === 10_000, 30_000, 'all 10k acked');
      expect(store.seqs('truck-1')).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
      expect(store.stats()[0]).toMatchObject({ device: 'truck-1', records: 10_000, duplicates: 0, handshakes: 1 });
      expect([...server.onlineDevices()]).toEqual(['truck-1']);
      await link.stop();
      await waitFor(() => server.onlineDevices().size === 0, 10_000, 'truck-1 offline after its link stopped');
    } finally {
      await link.stop();
      await server.stop();
      store.close();
    }
  }, 60_000);
});
