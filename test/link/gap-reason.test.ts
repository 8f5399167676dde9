import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { Spool, type LossEvent } from '../../src/spool/index.js';
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
 * A gap's reason from the spool to the server's row: a real spool on disk fills past its
 * capacity while the server is away (thinning, then dropping, each loss a gap marker with its
 * reason), then a DeviceLink delivers it over real QUIC to an IngestServer on a real SQLite
 * file, and every gap row carries the marker's seqs, times, count and reason.
 */
const T0 = 1_700_000_000_000;

describe.each(availableEngines())('gap reason end to end (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1']);

  it("a full spool's thinned and dropped markers reach the gaps table with their reason, and nothing else is lost", async () => {
    const spool = await Spool.open({ dir: join(fleet.dir, `${engineName}-spool`), segmentBytes: 16384, capacityBytes: 65536, commitIntervalMs: 1000 });
    const losses: LossEvent[] = [];
    spool.on('loss', (l: LossEvent) => losses.push(l));
    let n = 0;
    for (let round = 0; round < 200 && !losses.some((l) => l.reason === 'dropped'); round++) {
      for (let i = 0; i < 100; i++, n++) spool.append(new Uint8Array(100).fill(n & 0xff), T0 + n * 1000);
      await spool.flush();
    }
    expect(new Set(losses.map((l) => l.reason))).toEqual(new Set(['thinned', 'dropped']));
    const held = spool.read(0, 1e9);
    const markers = held.filter((e) => e.kind === 'gap');
    expect(new Set(markers.map((e) => e.gap!.reason))).toEqual(new Set(['thinned', 'dropped']));
    // every appended record is either held or counted by a marker
    expect(held.filter((e) => e.kind === 'data').length + markers.reduce((a, e) => a + e.gap!.lost, 0)).toBe(n);

    const dbFile = join(fleet.dir, `${engineName}-gaps.db`);
    const store = Store.open(dbFile);
    const server = new IngestServer({ engine: createEngine(engineName), store, host: '127.0.0.1', port: 0, tls: serverTls(fleet.ca, 'localhost'), log: silentLogger(), identify: vehicleIdFromCert });
    await server.start();
    const status = new StatusBoard();
    const link = new DeviceLink({ engine: createEngine(engineName), spool, server: server.address, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status, device: 'truck-1' });
    try {
      link.start();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 30_000, 'the whole spool acked');
      const db = new Database(dbFile, { readonly: true });
      try {
        const rows = db.prepare('SELECT seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, reason FROM gaps WHERE device = ? AND spool = ? ORDER BY seq').all('truck-1', spool.spoolId);
        expect(rows).toEqual(markers.map((e) => ({ seq: e.seq, from_seq: e.gap!.fromSeq, to_seq: e.gap!.toSeq, from_time_ms: e.gap!.fromTimeMs, to_time_ms: e.gap!.toTimeMs, lost: e.gap!.lost, reason: e.gap!.reason })));
        const records = db.prepare('SELECT COUNT(*) AS n FROM records WHERE device = ? AND spool = ?').get('truck-1', spool.spoolId) as { n: number };
        expect(records.n).toBe(held.length - markers.length);
      } finally {
        db.close();
      }
    } finally {
      await link.stop();
      await server.stop();
      store.close();
      await spool.close();
    }
  }, 60_000);
});
