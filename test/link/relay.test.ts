import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { UdpRelay } from '../support/udp-relay.js';
import { DeviceLink } from '../../src/link/device.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import { vehicleIdFromCert } from '../../src/tls/identity.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';

/**
 * The network between truck and server misbehaves, through a real UDP relay on
 * loopback: a 60 s black hole (a tunnel, a dead cell) and a source-address change
 * (NAT rebinding, handoff). The device keeps taking fixes throughout; afterwards
 * every record is in the database exactly once.
 */
describe.each(availableEngines())('link through a UDP relay (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1']);

  it('a 60 s black hole then a source-address change: no record lost, none stored twice', async () => {
    const store = Store.open(join(fleet.dir, 'relay.db'));
    const server = new IngestServer({ engine: createEngine(engineName), store, host: '127.0.0.1', port: 0, tls: serverTls(fleet.ca, 'localhost'), log: silentLogger(), identify: vehicleIdFromCert });
    await server.start();
    const relay = await UdpRelay.start(server.address);
    const spool = new MemSpool();
    const status = new StatusBoard();
    const states: string[] = [];
    status.on('change', (what) => what === 'link' && states.push(status.link));
    // the production backoff but capped at 5 s so the test does not wait a minute after the path returns
    const link = new DeviceLink({ engine: createEngine(engineName), spool, server: relay.address, serverName: 'localhost', tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status, device: 'truck-1', backoff: { baseMs: 500, maxMs: 5000 } });
    const producer = setInterval(() => {
      for (let i = 0; i < 10; i++) spool.append(new Uint8Array(40).fill(spool.headSeq & 0xff), Date.now());
      link.notify();
    }, 100);
    try {
      link.start();
      await waitFor(() => spool.ackedSeq >= 100, 15_000, 'first records acked');
      relay.blackhole(60_000);
      await new Promise((r) => setTimeout(r, 60_000));
      relay.restore();
      const duringOutage = spool.headSeq;
      await waitFor(() => spool.ackedSeq >= duringOutage, 60_000, 'backlog of the outage acked');
      expect(states).toContain('offline');
      expect(status.link).toBe('online');
      await relay.rebind('127.0.0.2');
      const afterRebind = spool.headSeq + 50;
      await waitFor(() => spool.ackedSeq >= afterRebind, 30_000, 'records after the address change acked');
      clearInterval(producer);
      link.notify();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 30_000, 'everything acked');
    } finally {
      clearInterval(producer);
      await link.stop();
      await server.stop();
      await relay.close();
    }
    const seqs = store.seqs('truck-1');
    const st = store.stats()[0]!;
    store.close();
    expect(seqs).toEqual(Array.from({ length: spool.headSeq }, (_, i) => i + 1));
    // the address change is seen either as a path change on the same connection or as a new connection
    expect(st.pathChanges + st.handshakes).toBeGreaterThanOrEqual(3);
    console.log(`relay test: ${spool.headSeq} records, ${st.handshakes} handshakes, ${st.pathChanges} path changes, ${st.duplicates} duplicates ignored; link states ${states.join(' -> ')}`);
  }, 240_000);
});
