import { expect } from 'vitest';
import { waitFor } from './wait.js';
import { MemSpool } from './mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine, type EngineName } from '../../src/quic/engines.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { join } from 'node:path';
import { makeFleet } from './link-fixture.js';
import { Store } from '../../src/server/store/store.js';
import { IngestServer } from '../../src/server/server.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import { vehicleIdFromCert } from '../../src/tls/identity.js';
import type { Logger } from '../../src/base/log.js';

/**
 * A well-behaved vehicle streaming to the server while a test attacks it:
 * `stream()` appends records, `finish()` checks every one was stored exactly once
 * over a single handshake, then stops the link.
 */
export async function goodVehicle(engineName: EngineName, ca: string, server: { host: string; port: number }, device: string) {
  const spool = new MemSpool();
  const status = new StatusBoard();
  const link = new DeviceLink({ engine: createEngine(engineName), spool, server, tls: deviceTls(ca, device), clock: systemClock, log: silentLogger(), status, device });
  link.start();
  await waitFor(() => status.link === 'online', 10_000, 'good device online');
  return {
    spool,
    link,
    stream(n = 20): void {
      for (let i = 0; i < n; i++) spool.append(Uint8Array.of(i), i);
      link.notify();
    },
    async finish(store: Store): Promise<void> {
      this.stream(100);
      await waitFor(() => spool.ackedSeq === spool.headSeq, 10_000, 'good device fully acked');
      expect(store.seqs(device)).toHaveLength(spool.headSeq);
      expect(store.stats().find((s) => s.device === device)).toMatchObject({ duplicates: 0, handshakes: 1 });
      await link.stop();
    },
  };
}

/**
 * An ingest server on loopback for truck-1 and truck-2 (a real SQLite file `db` in the
 * fleet's folder), with truck-2 streaming as a good vehicle throughout. `stop()` checks
 * truck-2 lost nothing, then stops the server and removes the fleet.
 */
export async function serverWithGoodVehicle(engineName: EngineName, db: string, o: { log?: Logger; helloTimeoutMs?: number } = {}) {
  const fleet = await makeFleet(['truck-1', 'truck-2']);
  const dbFile = join(fleet.dir, db);
  const store = Store.open(dbFile);
  const server = new IngestServer({ engine: createEngine(engineName), store, host: '127.0.0.1', port: 0, tls: serverTls(fleet.ca, 'localhost'), log: o.log ?? silentLogger(), identify: vehicleIdFromCert, helloTimeoutMs: o.helloTimeoutMs });
  await server.start();
  const good = await goodVehicle(engineName, fleet.ca, server.address, 'truck-2');
  return {
    fleet,
    dbFile,
    store,
    server,
    good,
    async stop(): Promise<void> {
      await good.finish(store);
      await server.stop();
      store.close();
      fleet.cleanup();
    },
  };
}
