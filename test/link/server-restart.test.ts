import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { startServerProcess } from '../support/server-proc.js';
import { DeviceLink } from '../../src/link/device.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { deviceTls } from '../../src/tls/material.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';

describe.each(availableEngines())('ingest server process killed and restarted mid-stream (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1']);

  it('SIGKILL of the server while records stream in, then SIGTERM: no record lost, none stored twice', async () => {
    const db = join(fleet.dir, 'restart.db');
    let srv = await startServerProcess({ ca: fleet.ca, db, engine: engineName });
    const port = srv.port;
    const spool = new MemSpool();
    const status = new StatusBoard();
    // fast backoff so the test does not wait on the production schedule
    const link = new DeviceLink({ engine: createEngine(engineName), spool, server: { host: '127.0.0.1', port }, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status, device: 'truck-1', random: () => 0, livenessMs: 3000 });
    let appended = 0;
    const producer = setInterval(() => {
      for (let i = 0; i < 50; i++) spool.append(new Uint8Array(40).fill(appended++ & 0xff), Date.now());
      link.notify();
    }, 10);
    try {
      link.start();
      await waitFor(() => spool.ackedSeq > 2000, 20_000, '2000 acked before the kill');
      await srv.kill9();
      await new Promise((r) => setTimeout(r, 1000));
      srv = await startServerProcess({ ca: fleet.ca, db, port, engine: engineName });
      await waitFor(() => spool.ackedSeq > appended / 2 + 5000, 60_000, 'progress after restart');
      const exit = await srv.stop(); // graceful: commits and acks what it has
      expect(exit).toBe(0);
      expect(srv.output()).toMatch(/SIGTERM: committing and closing/);
      srv = await startServerProcess({ ca: fleet.ca, db, port, engine: engineName });
      clearInterval(producer);
      link.notify();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 60_000, 'everything acked');
    } finally {
      clearInterval(producer);
      await link.stop();
      await srv.stop();
    }
    const store = Store.openReadOnly(db);
    const seqs = store.seqs('truck-1');
    const st = store.stats()[0]!;
    store.close();
    expect(seqs.length).toBe(spool.headSeq);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(spool.headSeq);
    expect(st.handshakes).toBeGreaterThanOrEqual(3);
    expect(st.duplicates).toBe(0);
  }, 120_000);
});
