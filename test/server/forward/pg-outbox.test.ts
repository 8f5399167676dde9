import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../src/codec/index.js';
import { PgStore } from '../../../src/server/store/pg/store.js';
import { PgOutbox } from '../../../src/server/forward/pg-outbox.js';
import { makeFleet } from '../../support/link-fixture.js';
import { MemSpool } from '../../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../../support/server-proc.js';
import { waitFor } from '../../support/wait.js';
import { produceTelemetry } from '../../support/http-api.js';
import { pgUnavailable, startPgCluster, type PgCluster } from '../../support/pg-cluster.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { DeviceLink } from '../../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../../src/quic/engines.js';
import { deviceTls } from '../../../src/tls/material.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { StatusBoard } from '../../../src/base/status-board.js';

// Forwarding from PostgreSQL: the outbox's triggers, paging and lock on a real server
// (a throwaway cluster), then real `geostream server` processes sharing one database.
const skip = pgUnavailable();

const T0 = Date.UTC(2026, 4, 1, 6);
const rec = (seq: number) => ({ seq, timeMs: T0 + seq * 1000, payload: encodeRecord({ seq, timeMs: T0 + seq * 1000, lat7: 525_200_001, lon7: 134_050_000, altDm: null, speedCms: 500, courseCdeg: null, mode: 3, sats: null, hdopC: null }) });
const gap = (seq: number) => ({ type: 'GAP' as const, seq, fromSeq: seq, toSeq: seq, fromTimeMs: T0 + seq * 1000, toTimeMs: T0 + seq * 1000, lost: 1, reason: 'torn' });
const label = (e: { item: { kind: string; device: string; seq: number } | null }) => (e.item ? `${e.item.kind} ${e.item.device}/${e.item.seq}` : 'gone');

describe.skipIf(skip !== null)(`forwarding outbox on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cluster: PgCluster;
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  beforeAll(async () => {
    [cluster, fleet] = await Promise.all([startPgCluster(), makeFleet(['truck-1'])]);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    fleet?.cleanup();
  });

  it('holds each newly stored record and gap once (duplicates add nothing), pages from the front, forgets what was delivered, and bounds itself with a durable count', async () => {
    const store = await PgStore.open(await cluster.database('outbox'));
    try {
      const box = await PgOutbox.enable(store.pool);
      store.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(3)], [], () => {});
      store.enqueue('truck-2', 'bbbbbbbb', [rec(1)], [], () => {});
      await store.commit();
      store.enqueue('truck-1', 'aaaaaaaa', [rec(2), rec(3), rec(6)], [gap(5)], () => {}); // 2, 3 again
      await store.commit();
      expect(await box.pending).toBe(6);
      const all = await box.next(0, 100);
      // commit order; within one commit, fix time order
      expect(all.map(label)).toEqual(['position truck-1/1', 'position truck-2/1', 'position truck-1/2', 'position truck-1/3', 'position truck-1/6', 'gap truck-1/5']);
      expect(all[0]!.item).toMatchObject({ lat: 52.5200001, speedMps: 5, mode: 3, timeMs: T0 + 1000 });
      await box.delivered(all.slice(0, 4));
      expect(await box.pending).toBe(2);
      expect((await box.next(0, 100)).map(label)).toEqual(['position truck-1/6', 'gap truck-1/5']);
      // a record removed before delivery comes out as gone and counts as dropped once delivered
      await store.pool.query("DELETE FROM records WHERE device = 'truck-1' AND seq = 6");
      const rest = await box.next(0, 100);
      expect(rest.map(label)).toEqual(['gone', 'gap truck-1/5']);
      await box.delivered(rest);
      expect({ pending: await box.pending, dropped: await box.dropped }).toEqual({ pending: 0, dropped: 1 });

      // the bound: a second enable with 3 rows, every commit pushes out the oldest
      const small = await PgOutbox.enable(store.pool, { maxRows: 3 });
      store.enqueue('truck-3', 'cccccccc', [1, 2, 3, 4, 5].map(rec), [], () => {});
      await store.commit();
      expect((await small.next(0, 100)).map(label)).toEqual(['position truck-3/3', 'position truck-3/4', 'position truck-3/5']);
      expect(await small.dropped).toBe(1 + 2);
    } finally {
      await store.close();
    }
  });

  it('one forwarder per database: a second claim waits until the first session ends, and commits of any process wake the holder', async () => {
    const url = await cluster.database('claim');
    const s1 = await PgStore.open(url);
    const s2 = await PgStore.open(url);
    try {
      const a = await PgOutbox.enable(s1.pool);
      const b = await PgOutbox.enable(s2.pool);
      expect(await a.claim()).toBe(true);
      expect(await b.claim()).toBe(false);
      let woken = 0;
      a.onNotify(() => woken++);
      s2.enqueue('truck-9', 'dddddddd', [rec(1)], [], () => {});
      await s2.commit();
      await waitFor(() => woken > 0, 5000, 'a notification of the other store\'s commit');
      await a.close();
      expect(await b.claim()).toBe(true);
      await b.close();
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  it('two server processes on one database with --forward: one forwards, the other stands by; receiver down, the forwarding one SIGKILLed: the other takes over and every stored record is delivered, repeats only with the same body', async () => {
    const url = await cluster.database('forward');
    const rx = new WebhookReceiver();
    await rx.up();
    const args = ['--forward', `http://127.0.0.1:${rx.port}/hook`, '--forward-retry-max', '1'];
    const a: ServerProc = await startServerProcess({ ca: fleet.ca, db: url, args });
    const b: ServerProc = await startServerProcess({ ca: fleet.ca, db: url, args });
    const spool = new MemSpool();
    const device = (port: number) => {
      const l = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port }, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device: 'truck-1', random: () => 0, livenessMs: 3000 });
      l.start();
      return l;
    };
    let link: DeviceLink | null = null;
    const producer = produceTelemetry(spool, () => link?.notify(), T0);
    let survivor: ServerProc | undefined;
    try {
      await waitFor(() => /forwarding on standby/.test(a.output() + b.output()), 20_000, 'one server on standby');
      const [forwarding, standby] = /forwarding on standby/.test(b.output()) ? [a, b] : [b, a];
      survivor = standby;
      // the vehicle streams to the standby process: the forwarding one is woken by its commits
      link = device(standby.port);
      await waitFor(() => rx.deliveries.size > 300, 30_000, 'deliveries of what the other process stores');
      await rx.down();
      const ackedAtDown = spool.ackedSeq;
      await waitFor(() => spool.ackedSeq > ackedAtDown + 1000, 30_000, 'acks while the receiver is down');
      await forwarding.kill9();
      await rx.up();
      await waitFor(() => /this server now forwards/.test(standby.output()), 30_000, 'the standby taking over');
      producer.stop();
      link.notify();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 30_000, 'everything acked');
      await waitFor(() => rx.deliveries.size >= spool.headSeq, 60_000, 'everything delivered');
    } finally {
      producer.stop();
      await link?.stop();
      await a.stop();
      await b.stop();
      await rx.down().catch(() => {});
    }
    expect(survivor!.output()).not.toMatch(/ERROR/);
    const store = await PgStore.open(url, { readOnly: true });
    const stored = await store.seqs('truck-1');
    await store.close();
    expect(stored.length).toBe(spool.headSeq);
    const repeated = rx.expectEachOnceOrSame(stored);
    console.log(`forwarding on PostgreSQL: ${stored.length} records, ${rx.posts} POSTs, ${repeated} delivered more than once`);
  }, 180_000);
});
