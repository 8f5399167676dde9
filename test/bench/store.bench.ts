// Fleet store benchmark (SQLite; the same reads on PostgreSQL are store-pg.bench.ts:
// `npm run bench -- store` runs both, `npm run bench -- store.bench` this one only). Prints
// measurements and ratios against baselines measured in the same run:
//  1. one vehicle's day at 1 Hz (86,400 rows) as GeoJSON through the real HTTP API
//     (time to first byte, total) in a table of GS_BENCH_ROWS (default 10,000,000) rows,
//     against the same query in a table holding only that day; and the same document built
//     without HTTP, the server's share of the total;
//  2. everything inside a bounding box during one hour, written as SQL a user runs on the
//     file (docs/DATA.md): the per-vehicle form that uses records_device_time, against the
//     plain WHERE over the table;
//  3. the latest position of every vehicle (3,000), store.vehicles() and GET /api/v1/vehicles,
//     against the GROUP BY max(time_ms) a store without the `devices` pointer has to run;
//  4. memory of this process while the API streams a month of one vehicle (CSV, 2.6 M rows;
//     GS_BENCH_MONTH_DAYS), against streaming one day: the live heap (after a full GC each
//     second, with --expose-gc) must stay flat; peak RSS and heap are shown too, but they
//     follow V8's collection timing and the heap earlier sections left;
//  5. ingest rows/s and commit p50/p99 with the decoded columns, SQLite and (when Debian's
//     postgresql is installed) PostgreSQL in a throw-away cluster, against the blob-only
//     SQLite store of schema 1 (payload column only), same group commits, synchronous=FULL;
//     and each with the forwarding outbox on (--forward), against the same store without it.
// Targets (docs/DATA.md, issue "fleet data"): the day's GeoJSON under 1 s total, the latest
// positions of 3,000 vehicles under 100 ms.
// The 10 M rows (test/support/store-fleet.ts) are generated inside SQLite in one transaction
// (recursive CTE, rows in time order across vehicles as ingest writes them), not through the
// ingest path; records_device_time is built after them. Page cache warm.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord } from '../../src/codec/index.js';
import { Store, type StoreEntry } from '../../src/server/store/store.js';
import { INDEX_SQL } from '../../src/server/store/schema.js';
import { HttpApi } from '../../src/server/http/api.js';
import { TokenStore } from '../../src/server/http/tokens.js';
import { silentLogger } from '../../src/base/log.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { pgUnavailable, startPgCluster } from '../support/pg-cluster.js';
import { BBOX, bboxSql, DAY0, FULL, fleetSql, LATEST_GROUP_BY_SQL, MONTH_DAYS, ROWS, SHORT, TARGET, TARGET_N, telemetry, VEHICLES, type FleetPart } from '../support/store-fleet.js';
import { cpuMs, dayDocument, dayQuery, exportMemory, f1, latestPositions, median, ms, ratio, verdict, type Served } from '../support/store-reads.js';
import { Outbox } from '../../src/server/forward/outbox.js';
import { PgOutbox } from '../../src/server/forward/pg-outbox.js';

const dir = mkdtempSync(join(tmpdir(), 'geostream-store-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Fills a fresh store file with `part` of the fleet (test/support/store-fleet.ts), in one transaction. */
function generate(file: string, part: FleetPart): { rows: number; ms: number; cpuMs: number } {
  Store.open(file).close(); // the current schema, made by the store itself
  const db = new Database(file);
  // the index is built once after the rows (a sort), not row by row
  db.exec('DROP INDEX records_device_time');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const sql = fleetSql('sqlite', part);
  let rows = 0;
  db.transaction(() => {
    for (const q of sql.records) rows += db.prepare(q).run().changes;
    for (const q of sql.then) db.prepare(q).run();
    db.exec(INDEX_SQL);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { rows, ms: ms(t0), cpuMs: cpuMs(c0) };
}

/** The real read-only HTTP API on `store`, with one operator token. */
async function serve(store: Store): Promise<Served & { close(): Promise<void> }> {
  TokenStore.ensureTable(store.db);
  const tokens = new TokenStore(store.db);
  const token = tokens.add(`bench-${Math.random().toString(36).slice(2, 8)}`);
  const api = new HttpApi({ host: '127.0.0.1', port: 0, queries: store, tokens, online: () => new Set(), log: silentLogger() });
  await api.start();
  const { port } = api.address;
  return { base: `http://127.0.0.1:${port}`, token, close: () => api.stop() };
}

/** `f` with the HTTP API serving `store`, stopped after. */
async function served<T>(store: Store, f: (srv: Served) => Promise<T>): Promise<T> {
  const srv = await serve(store);
  try {
    return await f(srv);
  } finally {
    await srv.close();
  }
}

function timed<T>(runs: number, f: () => T): { ms: number; first: number; out: T } {
  const times: number[] = [];
  let out!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = f();
    times.push(ms(t0));
  }
  return { ms: median(times), first: times[0]!, out };
}

function bboxQuery(db: Database.Database): void {
  const p = BBOX;
  const sql = bboxSql((k) => `@${k}`);
  const perVehicle = db.prepare(sql.perVehicle);
  const plain = db.prepare(sql.plain);
  const plan = (s: string) => (db.prepare(`EXPLAIN QUERY PLAN ${s}`).all(p) as { detail: string }[]).map((r) => r.detail).join('; ');
  const a = timed(3, () => perVehicle.all(p).length);
  const b = timed(1, () => plain.all(p).length);
  if (a.out !== b.out) throw new Error(`bbox: the two forms disagree (${a.out} vs ${b.out} rows)`);
  console.log(`bbox + hour, per-vehicle form (device IN (SELECT device FROM devices)): ${a.out} rows in ${f1(a.ms)} ms median of 3 [${plan(perVehicle.source)}]`);
  console.log(`bbox + hour, baseline plain WHERE: ${b.out} rows in ${f1(b.ms)} ms [${plan(plain.source)}]`);
  console.log(`bbox + hour: per-vehicle form takes ${ratio(a.ms, b.ms)} the plain WHERE's time`);
}

async function latestQuery(store: Store): Promise<void> {
  const l = await served(store, (srv) => latestPositions(store, srv));
  const naive = store.db.prepare(LATEST_GROUP_BY_SQL);
  const b = timed(1, () => naive.all().length);
  if (b.out < l.n) throw new Error(`latest: the baseline found ${b.out} vehicles, the store ${l.n}`);
  console.log(`${l.text} (target under 100 ms: ${verdict(l.storeMs < 100 && l.httpMs < 100, loadavg()[0]!)})`);
  console.log(`latest position, baseline GROUP BY max(time_ms) over the records: ${f1(b.ms)} ms; store.vehicles() takes ${ratio(l.storeMs, b.ms)} of it`);
}

// ---- ingest: decoded columns vs the blob-only schema-1 store

const V1_SQL = `
CREATE TABLE records (device TEXT NOT NULL, spool TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, payload BLOB NOT NULL, received_ms INTEGER NOT NULL,
  PRIMARY KEY (device, spool, seq)) WITHOUT ROWID;
CREATE TABLE devices (device TEXT PRIMARY KEY, records INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER,
  last_spool TEXT, last_seq INTEGER, last_time_ms INTEGER);`;

/** The schema-1 store's write path: payload row, per-device counters, one transaction per group commit. */
function blobStore(file: string): { write(batch: { device: string; spool: string; entries: StoreEntry[] }[]): void; close(): void } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(V1_SQL);
  const ins = db.prepare('INSERT OR IGNORE INTO records (device, spool, seq, time_ms, payload, received_ms) VALUES (?, ?, ?, ?, ?, ?)');
  const dev = db.prepare(`INSERT INTO devices (device, records, last_seen_ms, last_spool, last_seq, last_time_ms) VALUES (@device, @n, @now, @spool, @seq, @t)
    ON CONFLICT(device) DO UPDATE SET records = records + @n, last_seen_ms = @now, last_spool = @spool, last_seq = MAX(COALESCE(last_seq, 0), @seq), last_time_ms = @t`);
  const txn = db.transaction((batch: { device: string; spool: string; entries: StoreEntry[] }[]) => {
    const now = Date.now();
    for (const p of batch) {
      let n = 0;
      let last = p.entries[0]!;
      for (const e of p.entries) {
        n += ins.run(p.device, p.spool, e.seq, e.timeMs, e.payload, now).changes;
        if (e.seq > last.seq) last = e;
      }
      dev.run({ device: p.device, n, now, spool: p.spool, seq: last.seq, t: last.timeMs });
    }
  });
  return { write: (b) => txn(b), close: () => db.close() };
}

/** Group commits of one record from each of `perCommit` vehicles (a fleet at 1 Hz, 20 ms commits). */
function ingestShape(perCommit: number, commits: number): { device: string; spool: string; entries: StoreEntry[] }[][] {
  const out: { device: string; spool: string; entries: StoreEntry[] }[][] = [];
  for (let c = 0; c < commits; c++) {
    const batch: { device: string; spool: string; entries: StoreEntry[] }[] = [];
    for (let v = 0; v < perCommit; v++) {
      const seq = c + 1;
      const t = DAY0 + c * 1000;
      batch.push({ device: `truck-${String(v).padStart(4, '0')}`, spool: '00000000000f4243', entries: [{ seq, timeMs: t, payload: encodeRecord(telemetry(seq, t)) }] });
    }
    out.push(batch);
  }
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** Each group commit's time (ms) of `shape` through an ingest store (SQLite or PostgreSQL). */
async function commitTimes(s: IngestStore, shape: ReturnType<typeof ingestShape>, attach: boolean): Promise<number[]> {
  const times: number[] = [];
  for (const b of shape) {
    const t0 = performance.now();
    for (const p of b) s.enqueue(p.device, p.spool, attach ? p.entries.map((e) => ({ ...e, record: telemetry(e.seq, e.timeMs) })) : p.entries, [], () => {});
    await s.commit();
    times.push(ms(t0));
  }
  if ((await s.seqs('truck-0000')).length !== shape.length) throw new Error('ingest: rows missing');
  await s.close();
  return times;
}

function withOutbox(s: Store): Store {
  Outbox.enable(s.db);
  return s;
}

/** A new ingest store for each run: SQLite files here, and PostgreSQL when its server programs are installed. */
type Backend = { name: string; open: () => Promise<IngestStore>; against?: string };

async function ingest(label: string, perCommit: number, commits: number, backends: Backend[]): Promise<void> {
  const shape = ingestShape(perCommit, commits);
  const rows = perCommit * commits;
  const blobTimes: number[] = [];
  {
    const s = blobStore(join(dir, `blob-${perCommit}-${Math.random()}.db`));
    for (const b of shape) {
      const t0 = performance.now();
      s.write(b);
      blobTimes.push(ms(t0));
    }
    s.close();
  }
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  const rps = (xs: number[]) => Math.round(rows / (sum(xs) / 1000));
  const shown = (xs: number[]) => `${rps(xs).toLocaleString('en')} rows/s, commit p50 ${f1(pct(xs, 50))} ms p99 ${f1(pct(xs, 99))} ms`;
  console.log(`ingest ${label} (${perCommit} records per commit, ${commits} commits): baseline blob-only schema 1 (SQLite, synchronous=FULL) ${shown(blobTimes)}`);
  const decoded = new Map<string, number[]>();
  for (const b of backends) {
    const dec = await commitTimes(await b.open(), shape, false);
    decoded.set(b.name, dec);
    const base = b.against ? decoded.get(b.against) : undefined;
    if (base) {
      console.log(`ingest ${label}, ${b.name}: ${shown(dec)} (${ratio(rps(dec), rps(base))} of ${b.against} without it)`);
      continue;
    }
    const pre = await commitTimes(await b.open(), shape, true);
    console.log(
      `ingest ${label}, ${b.name} decoded columns: payload decoded at the store ${shown(dec)} (${ratio(rps(dec), rps(blobTimes))} of blob-only); ` +
        `record already decoded by the batch unpacker ${shown(pre)} (${ratio(rps(pre), rps(blobTimes))})`,
    );
  }
}

async function main(): Promise<void> {
  console.log(`store bench: ${ROWS.toLocaleString("en")} rows target: ${FULL} vehicles with a day at 1 Hz, ${VEHICLES - FULL} with ${SHORT} rows each; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`);
  const big = join(dir, 'big.db');
  const g = generate(big, { full: FULL, short: SHORT, vehicles: VEHICLES });
  console.log(`generated ${g.rows.toLocaleString('en')} rows in ${(g.ms / 1000).toFixed(1)} s, CPU ${(g.cpuMs / 1000).toFixed(1)} s (${Math.round(g.rows / (g.cpuMs / 1000)).toLocaleString("en")} rows per CPU second, one transaction), file ${(statSync(big).size / 1e9).toFixed(2)} GB`);
  const small = join(dir, 'small.db');
  generate(small, { full: 1, short: 0, vehicles: 1, first: TARGET_N });

  const bigStore = Store.open(big);
  const smallStore = Store.open(small);
  try {
    const base = await served(smallStore, (srv) => dayQuery('baseline, table of one day (86,400 rows)', srv));
    const t = await served(bigStore, (srv) => dayQuery(`table of ${(g.rows / 1e6).toFixed(1)} M rows`, srv));
    await dayDocument(bigStore);
    console.log(`one vehicle's day: ${(g.rows / 1e6).toFixed(1)} M-row table takes ${ratio(t, base)} the one-day table's time (target: under 1 s total: ${verdict(t < 1000, loadavg()[0]!)})`);
    bboxQuery(bigStore.db);
    await latestQuery(bigStore);
    await served(smallStore, (srv) => exportMemory(srv, 1, 'baseline'));
  } finally {
    bigStore.close();
    smallStore.close();
  }
  {
    const month = join(dir, 'month.db');
    const m = generate(month, { full: 1, short: 0, vehicles: 1, first: TARGET_N, days: MONTH_DAYS });
    console.log(`generated ${TARGET}'s ${MONTH_DAYS} days at 1 Hz: ${m.rows.toLocaleString('en')} rows in ${(m.ms / 1000).toFixed(1)} s`);
    const monthStore = Store.open(month);
    try {
      await served(monthStore, (srv) => exportMemory(srv, MONTH_DAYS, 'month'));
    } finally {
      monthStore.close();
    }
  }
  const sqlite = () => Store.open(join(dir, `decoded-${Math.random()}.db`));
  const backends: Backend[] = [
    { name: 'SQLite', open: () => Promise.resolve(sqlite()) },
    // --forward: the outbox triggers write a row per record inside the same commit
    { name: 'SQLite with the forwarding outbox', against: 'SQLite', open: () => Promise.resolve(withOutbox(sqlite())) },
  ];
  const noPg = pgUnavailable();
  const cluster = noPg ? null : await startPgCluster();
  const pgStore = async () => PgStore.open(await cluster!.database(`bench_${Math.random().toString(36).slice(2, 10)}`));
  if (cluster) {
    backends.push({ name: 'PostgreSQL', open: pgStore });
    backends.push({ name: 'PostgreSQL with the forwarding outbox', against: 'PostgreSQL', open: async () => {
      const s = await pgStore();
      await PgOutbox.enable(s.pool);
      return s;
    } });
  }
  else console.log(`ingest on PostgreSQL not measured: ${noPg}`);
  try {
    await ingest('1,000 vehicles at 1 Hz', 20, 300, backends);
    await ingest('3,000 vehicles at 1 Hz', 60, 200, backends);
    await ingest('saturated', 1000, 40, backends);
  } finally {
    await cluster?.stop();
  }
}

await main();
