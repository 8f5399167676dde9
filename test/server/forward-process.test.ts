import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { useFleet } from '../support/link-fixture.js';
import { MemSpool } from '../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../support/server-proc.js';
import { waitFor } from '../support/wait.js';
import { produceTelemetry } from '../support/http-api.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../src/quic/engines.js';
import { deviceTls } from '../../src/tls/material.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { Store } from '../../src/server/store/store.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

describe('forwarding from a real server process (--forward)', () => {
  const fleet = useFleet(['truck-1']);

  it('receiver down, then the server SIGKILLed: every stored record delivered at least once, repeats only with the same key and body, ingest acked throughout', async () => {
    const db = join(fleet.dir, 'fwd.db');
    const rx = new WebhookReceiver();
    await rx.up();
    const args = ['--forward', `http://127.0.0.1:${rx.port}/hook/secret-path`, '--forward-retry-max', '1'];
    let srv: ServerProc = await startServerProcess({ ca: fleet.ca, db, args });
    const port = srv.port;
    const spool = new MemSpool();
    const link = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port }, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device: 'truck-1', random: () => 0, livenessMs: 3000 });
    const producer = produceTelemetry(spool, () => link.notify(), Date.UTC(2026, 4, 1));
    try {
      link.start();
      await waitFor(() => rx.deliveries.size > 300, 30_000, 'first deliveries');
      await rx.down();
      const ackedAtDown = spool.ackedSeq;
      // the receiver is down: ingest goes on acking
      await waitFor(() => spool.ackedSeq > ackedAtDown + 1000, 30_000, 'acks while the receiver is down');
      expect(srv.output()).toMatch(/forwarding delivering -> failing \(http:\/\/127\.0\.0\.1:\d+: /);
      expect(srv.output()).not.toContain('secret-path');
      await srv.kill9();
      srv = await startServerProcess({ ca: fleet.ca, db, port, args });
      await waitFor(() => spool.ackedSeq > ackedAtDown + 2000, 30_000, 'acks after the restart, receiver still down');
      await rx.up();
      producer.stop();
      link.notify();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 30_000, 'everything acked');
      await waitFor(() => rx.deliveries.size >= spool.headSeq, 30_000, 'everything delivered');
    } finally {
      producer.stop();
      await link.stop();
      await srv.stop();
      await rx.down().catch(() => {});
    }
    const store = Store.openReadOnly(db);
    const stored = store.seqs('truck-1');
    store.close();
    expect(stored.length).toBe(spool.headSeq);
    const repeated = rx.expectEachOnceOrSame(stored);
    console.log(`forwarding: ${stored.length} records, ${rx.posts} POSTs, ${repeated} delivered more than once`);
  }, 180_000);
});
