import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFleet } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../support/server-proc.js';
import { runCli } from '../support/cli-io.js';
import { pgUnavailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../src/quic/engines.js';
import { deviceTls } from '../../src/tls/material.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { encodeRecord } from '../../src/codec/index.js';

// Real `geostream server` processes on a real PostgreSQL server (a throwaway cluster).
const skip = pgUnavailable();

describe.skipIf(skip !== null)(`ingest server processes on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  let cluster: PgCluster;
  beforeAll(async () => {
    [fleet, cluster] = await Promise.all([makeFleet(['truck-1']), startPgCluster()]);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    fleet?.cleanup();
  });

  function device(spool: MemSpool, port: number) {
    const link = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port }, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device: 'truck-1', random: () => 0, livenessMs: 3000 });
    link.start();
    return link;
  }

  function producer(spool: MemSpool, links: () => DeviceLink | null) {
    let appended = 0;
    const t = setInterval(() => {
      for (let i = 0; i < 50; i++) spool.append(new Uint8Array(40).fill(appended++ & 0xff), Date.now());
      links()?.notify();
    }, 10);
    return () => clearInterval(t);
  }

  /** Stops producing and waits until the server acked every record of the spool. */
  async function drain(spool: MemSpool, link: DeviceLink, stop: () => void) {
    stop();
    link.notify();
    await waitFor(() => spool.ackedSeq === spool.headSeq, 60_000, 'everything acked');
  }

  async function stored(url: string) {
    const s = await PgStore.open(url, { readOnly: true });
    try {
      return { seqs: await s.seqs('truck-1'), stats: (await s.stats())[0]! };
    } finally {
      await s.close();
    }
  }

  it('SIGKILL of the server while records stream in, then SIGTERM: none lost, none stored twice; stats, export, tokens and the HTTP API on the URL', async () => {
    const url = await cluster.database('restart');
    let srv: ServerProc = await startServerProcess({ ca: fleet.ca, db: url });
    expect(srv.output()).toMatch(/database postgres:\/\/postgres@localhost\/restart/);
    const port = srv.port;
    const spool = new MemSpool();
    const link = device(spool, port);
    const stop = producer(spool, () => link);
    try {
      await waitFor(() => spool.ackedSeq > 2000, 20_000, '2000 acked before the kill');
      await srv.kill9();
      await new Promise((r) => setTimeout(r, 1000));
      srv = await startServerProcess({ ca: fleet.ca, db: url, port });
      await waitFor(() => spool.ackedSeq > 6000, 60_000, 'progress after restart');
      expect(await srv.stop()).toBe(0);
      srv = await startServerProcess({ ca: fleet.ca, db: url, port });
      await drain(spool, link, stop);
    } finally {
      stop();
      await link.stop();
      await srv.stop();
    }
    const { seqs, stats } = await stored(url);
    expect(seqs.length).toBe(spool.headSeq);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(spool.headSeq);
    expect(stats.handshakes).toBeGreaterThanOrEqual(3);
    expect(stats.records).toBe(spool.headSeq);

    const st = await runCli(['server', 'stats', '--db', url]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout).devices[0]).toMatchObject({ device: 'truck-1', records: spool.headSeq });
    const ex = await runCli(['export', '--db', url, '--vehicle', 'truck-1', '--format', 'csv']);
    expect(ex.code).toBe(0);
    expect(ex.stdout.trim().split('\n')).toHaveLength(1 + spool.headSeq);
    const tok = await runCli(['server', 'token', 'add', 'ops', '--db', url]);
    expect(tok.code).toBe(0);
    const token = tok.stdout.trim();
    const api = await startServerProcess({ ca: fleet.ca, db: url, args: ['--http', '127.0.0.1:0', '--http-readers', '1'] });
    try {
      const at = /HTTP API on (http:\/\/[^/]+)\//.exec(api.output())![1]!;
      const ok = await fetch(`${at}/api/v1/vehicles`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { vehicles: { id: string; records: number }[] }).vehicles[0]).toMatchObject({ id: 'truck-1', records: spool.headSeq });
      expect((await fetch(`${at}/api/v1/vehicles`, { headers: { authorization: `Bearer gst_${'A'.repeat(43)}` } })).status).toBe(401);
      // the track comes from the reader process's own PostgreSQL connection: all of it, as export gives it
      expect(api.output()).toMatch(/1 of 1 track reader process up/);
      const csv = await fetch(`${at}/api/v1/vehicles/truck-1/positions?format=csv&from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`, { headers: { authorization: `Bearer ${token}` } });
      expect(csv.status).toBe(200);
      expect((await csv.text()).replace(/\r\n/g, '\n')).toBe(ex.stdout.replace(/\r\n/g, '\n'));
      expect((await runCli(['server', 'token', 'revoke', 'ops', '--db', url])).code).toBe(0);
      expect((await fetch(`${at}/api/v1/vehicles`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await api.stop();
    }
  }, 180_000);

  it('--keep-days on PostgreSQL: old rows of a parked and a driving vehicle go while a vehicle streams; its records are all acked and stored; the shutdown log counts what went', async () => {
    const url = await cluster.database('retention');
    const DAY = 86_400_000;
    const now = Date.now();
    const rec = (seq: number, timeMs: number) => ({ seq, timeMs, payload: encodeRecord({ seq, timeMs, lat7: 480_000_000 + seq, lon7: 110_000_000, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null }) });
    const pre = await PgStore.open(url);
    pre.enqueue('old-1', 'aaaaaaaaaaaaaaaa', [...Array.from({ length: 1500 }, (_, i) => rec(i + 1, now - 40 * DAY + i * 1000)), ...Array.from({ length: 20 }, (_, i) => rec(2000 + i, now - DAY + i * 1000))], [], () => {});
    pre.enqueue('parked', 'bbbbbbbbbbbbbbbb', Array.from({ length: 700 }, (_, i) => rec(i + 1, now - 50 * DAY + i * 1000)), [], () => {});
    await pre.commit();
    const count = async (sql: string) => Number(((await pre.pool.query(sql)).rows[0] as { n: string }).n);
    const srv = await startServerProcess({ ca: fleet.ca, db: url, args: ['--keep-days', '30'] });
    const spool = new MemSpool();
    const link = device(spool, srv.port);
    const stop = producer(spool, () => link);
    try {
      const t0 = Date.now();
      while ((await count(`SELECT COUNT(*) AS n FROM records WHERE time_ms < ${now - 30 * DAY}`)) !== 1) {
        if (Date.now() - t0 > 60_000) throw new Error('timed out after 60 s waiting for the old rows to go');
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitFor(() => spool.ackedSeq > 1000, 30_000, 'records acked meanwhile');
      await drain(spool, link, stop);
    } finally {
      stop();
      await link.stop();
      expect(await srv.stop()).toBe(0);
    }
    expect(await count("SELECT COUNT(*) AS n FROM records WHERE device = 'old-1'")).toBe(20);
    // the parked vehicle's newest position stays however old
    expect(await count("SELECT seq AS n FROM records WHERE device = 'parked'")).toBe(700);
    expect(await count("SELECT COUNT(*) AS n FROM records WHERE device = 'truck-1'")).toBe(spool.headSeq);
    await pre.close();
    expect(srv.output()).toMatch(/retention \(30 days\): 2199 records, 0 gaps and \d+ link events removed in \d+ steps/);
  }, 180_000);

  it('two ingest processes share one database: the vehicle moves from one to the other mid-stream, the first is SIGKILLed; every record once', async () => {
    const url = await cluster.database('shared');
    const a = await startServerProcess({ ca: fleet.ca, db: url });
    const b = await startServerProcess({ ca: fleet.ca, db: url });
    const spool = new MemSpool();
    let link: DeviceLink | null = device(spool, a.port);
    const stop = producer(spool, () => link);
    try {
      await waitFor(() => spool.ackedSeq > 2000, 20_000, '2000 acked by A');
      // the vehicle's server address changes to B; A still holds its unacked tail
      const old = link;
      link = null;
      await old.stop();
      link = device(spool, b.port);
      await waitFor(() => spool.ackedSeq > 4000, 30_000, 'progress on B');
      // back to A, then A dies under it
      const mid = link;
      link = null;
      await mid.stop();
      link = device(spool, a.port);
      await waitFor(() => spool.ackedSeq > 5000, 30_000, 'progress on A again');
      await a.kill9();
      const dead = link;
      link = null;
      await dead.stop();
      link = device(spool, b.port);
      await drain(spool, link, stop);
    } finally {
      stop();
      await link?.stop();
      await a.stop();
      await b.stop();
    }
    const { seqs, stats } = await stored(url);
    expect(seqs.length).toBe(spool.headSeq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.at(-1)).toBe(spool.headSeq);
    expect(stats.records).toBe(spool.headSeq);
    // A's last handshake note may have died with it (notes ride with the next commit)
    expect(stats.handshakes).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
