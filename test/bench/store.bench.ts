// Fleet store benchmark (SQLite). Prints measurements and ratios against baselines measured
// in the same run:
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
// The 10 M rows are generated inside SQLite in one transaction (recursive CTE, rows in time
// order across vehicles as ingest writes them), not through the ingest path. Page cache warm.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';
import { Store, type StoreEntry } from '../../src/server/store/store.js';
import { INDEX_SQL } from '../../src/server/store/schema.js';
import { HttpApi } from '../../src/server/http/api.js';
import { TokenStore } from '../../src/server/http/tokens.js';
import { silentLogger } from '../../src/base/log.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { formatTrack } from '../../src/server/formats/index.js';
import { pgUnavailable, startPgCluster } from '../support/pg-cluster.js';
import { Outbox } from '../../src/server/forward/outbox.js';
import { PgOutbox } from '../../src/server/forward/pg-outbox.js';

const ROWS = Number(process.env.GS_BENCH_ROWS ?? 10_000_000);
const DAY_S = 86_400;
const DAY0 = Date.UTC(2026, 2, 2);
const VEHICLES = 3000;
/** Vehicles with a whole day at 1 Hz; the others hold a short drive each, to VEHICLES in all. */
const FULL = Math.max(1, Math.min(VEHICLES, Math.floor((ROWS * 0.99) / DAY_S)));
const SHORT = Math.max(1, Math.ceil((ROWS - FULL * DAY_S) / (VEHICLES - FULL)));
const TARGET_N = Math.min(7, FULL - 1);
const MONTH_DAYS = Number(process.env.GS_BENCH_MONTH_DAYS ?? 30);
const TARGET = `truck-${String(TARGET_N).padStart(4, '0')}`;

const dir = mkdtempSync(join(tmpdir(), 'geostream-store-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const ms = (t0: number) => performance.now() - t0;
/** CPU time of this process since `c0` (user + system), ms: what a request costs whatever the machine's load. */
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const f1 = (x: number) => x.toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** A realistic record with every sensor the schema has (the payload kept beside the columns). */
function telemetry(seq: number, timeMs: number): TelemetryRecord {
  return {
    seq, timeMs, lat7: 512_345_678 + seq * 13, lon7: 67_891_234 + seq * 21, altDm: 412, speedCms: 1234 + (seq % 900), courseCdeg: (seq * 137) % 36_000, mode: 3, sats: 9, hdopC: 87,
    batteryMv: 13_800, rpm: 1450 + (seq % 300), coolantDc: 865, oilKpa: 310, fuelPm: 605, tyresKpa: [820, 815, null, 825], cabinDc: 215, humidityPm: 402, ignition: true, faults: 0,
  };
}

/**
 * Fills a fresh store file: `full` vehicles with a day at 1 Hz and `short` rows for each of
 * the other `vehicles - full` (from noon), interleaved in time order; `devices` with each
 * one's counters and latest-position pointer as ingest keeps them.
 */
function generate(file: string, o: { full: number; short: number; vehicles: number; first?: number; days?: number }): { rows: number; ms: number; cpuMs: number } {
  Store.open(file).close(); // the current schema, made by the store itself
  const db = new Database(file);
  // the index is built once after the rows (a sort), not row by row
  db.exec('DROP INDEX records_device_time');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const payload = Buffer.from(encodeRecord(telemetry(1, DAY0)));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cols = `device, spool, seq, time_ms, payload, received_ms, lat, lon, alt_m, speed_mps, course_deg, mode, sats, hdop, ignition,
    battery_v, rpm, coolant_c, oil_kpa, fuel_pct, tyres_kpa, cabin_c, humidity_pct, faults`;
  // vehicle n drives from its own depot; values on the wire's resolution
  const values = `printf('truck-%04d', v.n), printf('%016x', 1000003 * (v.n + 1)), t.i + 1, @day0 + t.i * 1000 + @start, @payload, @day0 + t.i * 1000 + @start + 420,
    round(51.0 + (v.n % 60) * 0.05 + (t.i % 3600) * 0.0000021, 7), round(6.5 + (v.n / 60) * 0.05 + (t.i % 7200) * 0.0000013, 7), 40 + (t.i % 100) / 10.0,
    ((t.i * 7) % 2500) / 100.0, ((t.i * 13) % 36000) / 100.0, 3, 6 + t.i % 7, 0.8 + (t.i % 50) / 100.0, 1,
    13.8, 800 + t.i % 1500, 85.5, CASE WHEN t.i % 10 = 0 THEN NULL ELSE 300 + t.i % 40 END, round(80.0 - t.i / 2000.0, 1), '[820,815,830,825]', 21.5, 40.2, 0`;
  const fill = (from: number, to: number, n: number, start: number) =>
    db
      .prepare(`WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < @n - 1), v(n) AS (SELECT @from UNION ALL SELECT n + 1 FROM v WHERE n < @to - 1)
        INSERT INTO records (${cols}) SELECT ${values} FROM t CROSS JOIN v`)
      .run({ n, from, to, start, day0: DAY0, payload }).changes;
  const first = o.first ?? 0;
  let rows = 0;
  db.transaction(() => {
    rows += fill(first, first + o.full, DAY_S * (o.days ?? 1), 0);
    if (o.vehicles > o.full) rows += fill(first + o.full, first + o.vehicles, o.short, 12 * 3_600_000);
    db.prepare(`INSERT INTO devices (device, records, handshakes, last_seen_ms, firmware, last_spool, last_seq, last_time_ms, last_lat7, last_lon7, pos_spool, pos_seq, pos_time_ms)
      SELECT device, COUNT(*), 1, MAX(time_ms), 'geostream 1.0', spool, MAX(seq), MAX(time_ms), NULL, NULL, spool, MAX(seq), MAX(time_ms)
      FROM records GROUP BY device`).run();
    db.prepare(`UPDATE devices SET (last_lat7, last_lon7) = (SELECT CAST(round(lat * 1e7) AS INTEGER), CAST(round(lon * 1e7) AS INTEGER) FROM records r
      WHERE r.device = devices.device AND r.spool = devices.last_spool AND r.seq = devices.last_seq)`).run();
    // a few gaps in the target vehicle's day, so the stream merges gap pages too
    const gap = db.prepare('INSERT INTO gaps (device, spool, seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, received_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const spool = (db.prepare('SELECT pos_spool FROM devices WHERE device = ?').pluck().get(TARGET) as string | undefined) ?? '';
    for (let k = 1; k <= 10; k++) gap.run(TARGET, spool, 1_000_000 + k, 0, 0, DAY0 + k * 7_200_000, DAY0 + k * 7_200_000 + 1000, 1, DAY0, 'ring');
    db.exec(INDEX_SQL);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { rows, ms: ms(t0), cpuMs: cpuMs(c0) };
}

interface Served {
  base: string;
  token: string;
  close(): Promise<void>;
}

/** The real read-only HTTP API on `store`, with one operator token. */
async function serve(store: Store): Promise<Served> {
  TokenStore.ensureTable(store.db);
  const tokens = new TokenStore(store.db);
  const token = tokens.add(`bench-${Math.random().toString(36).slice(2, 8)}`);
  const api = new HttpApi({ host: '127.0.0.1', port: 0, queries: store, tokens, online: () => new Set(), log: silentLogger() });
  await api.start();
  const { port } = api.address;
  return { base: `http://127.0.0.1:${port}`, token, close: () => api.stop() };
}

/**
 * GET with node:http, reading the body as it streams: time to the first body byte, total,
 * bytes; the text only when `keep` (the client shares this process with the server, so
 * it does as little as it can).
 */
function timedGet(url: string, token: string, keep = false): Promise<{ ttfbMs: number; totalMs: number; cpuMs: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const req = httpGet(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let ttfbMs = 0;
      let bytes = 0;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        if (bytes === 0) ttfbMs = ms(t0);
        bytes += d.length;
        if (keep || res.statusCode !== 200) parts.push(d);
      });
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode} ${text}`));
        else resolve({ ttfbMs, totalMs: ms(t0), cpuMs: cpuMs(cpu0), bytes, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function dayQuery(label: string, store: Store, runs = 3): Promise<number> {
  const srv = await serve(store);
  try {
    const from = new Date(DAY0).toISOString();
    const to = new Date(DAY0 + DAY_S * 1000).toISOString();
    const url = `${srv.base}/api/v1/vehicles/${TARGET}/positions?from=${from}&to=${to}&format=geojson`;
    const res: { ttfbMs: number; totalMs: number; cpuMs: number; bytes: number }[] = [];
    let features = 0;
    for (let i = 0; i < runs; i++) {
      const r = await timedGet(url, srv.token, i === 0);
      if (i === 0) features = (JSON.parse(r.text) as { features: unknown[] }).features.length;
      res.push(r);
    }
    const total = median(res.map((r) => r.totalMs));
    console.log(
      `${label}: GeoJSON of ${TARGET}'s day, ${features} features (${(res[0]!.bytes / 1e6).toFixed(1)} MB): first byte ${f1(median(res.map((r) => r.ttfbMs)))} ms, ` +
        `total ${f1(total)} ms, CPU ${f1(median(res.slice(1).map((r) => r.cpuMs)))} ms (server and client), medians of ${runs} (first run, the client also parsing the JSON: ${f1(res[0]!.totalMs)} ms)`,
    );
    return total;
  } finally {
    await srv.close();
  }
}

/**
 * The day's GeoJSON built from the store without HTTP (no socket, no client): what of the
 * HTTP total is the server's own reading and formatting, medians of `runs`.
 */
async function dayDocument(store: Store, runs = 3): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  let chars = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    chars = 0;
    for await (const c of formatTrack('geojson', store.trackPages(TARGET, DAY0, DAY0 + DAY_S * 1000), { device: TARGET })) chars += c.length;
    times.push(ms(t0));
    cpu.push(cpuMs(c0));
  }
  console.log(`${TARGET}'s day as GeoJSON text straight from the store (no HTTP): ${(chars / 1e6).toFixed(1)} M chars in ${f1(median(times))} ms, CPU ${f1(median(cpu))} ms, medians of ${runs}`);
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
  // one hour around noon, a box that holds part of the fleet's depots
  const p = { from: DAY0 + 12 * 3_600_000, to: DAY0 + 13 * 3_600_000, latMin: 51.2, latMax: 51.6, lonMin: 6.5, lonMax: 7.0 };
  const where = 'time_ms >= @from AND time_ms < @to AND lat BETWEEN @latMin AND @latMax AND lon BETWEEN @lonMin AND @lonMax';
  const cols = 'device, time_ms, lat, lon, speed_mps';
  const perVehicle = db.prepare(`SELECT ${cols} FROM records WHERE device IN (SELECT device FROM devices) AND ${where} ORDER BY device, time_ms`);
  const plain = db.prepare(`SELECT ${cols} FROM records WHERE ${where} ORDER BY device, time_ms`);
  const plan = (s: string) => (db.prepare(`EXPLAIN QUERY PLAN ${s}`).all(p) as { detail: string }[]).map((r) => r.detail).join('; ');
  const a = timed(3, () => perVehicle.all(p).length);
  const b = timed(1, () => plain.all(p).length);
  if (a.out !== b.out) throw new Error(`bbox: the two forms disagree (${a.out} vs ${b.out} rows)`);
  console.log(`bbox + hour, per-vehicle form (device IN (SELECT device FROM devices)): ${a.out} rows in ${f1(a.ms)} ms median of 3 [${plan(perVehicle.source)}]`);
  console.log(`bbox + hour, baseline plain WHERE: ${b.out} rows in ${f1(b.ms)} ms [${plan(plain.source)}]`);
  console.log(`bbox + hour: per-vehicle form takes ${ratio(a.ms, b.ms)} the plain WHERE's time`);
}

async function latestQuery(store: Store): Promise<void> {
  const times: number[] = [];
  const cpu: number[] = [];
  let n = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    n = (await store.vehicles()).filter((v) => v.latest !== null).length;
    times.push(ms(t0));
    cpu.push(cpuMs(c0));
  }
  const viaStore = median(times);
  const srv = await serve(store);
  const http: number[] = [];
  const httpCpu: number[] = [];
  let listed = 0;
  try {
    for (let i = 0; i < 5; i++) {
      const r = await timedGet(`${srv.base}/api/v1/vehicles`, srv.token, i === 0);
      if (i === 0) listed = (JSON.parse(r.text) as { vehicles: unknown[] }).vehicles.length;
      http.push(r.totalMs);
      httpCpu.push(r.cpuMs);
    }
  } finally {
    await srv.close();
  }
  const naive = store.db.prepare(`SELECT r.device, r.time_ms, r.lat, r.lon FROM records r
    JOIN (SELECT device, MAX(time_ms) AS t FROM records WHERE lat IS NOT NULL GROUP BY device) m ON r.device = m.device AND r.time_ms = m.t`);
  const b = timed(1, () => naive.all().length);
  if (b.out < n) throw new Error(`latest: the baseline found ${b.out} vehicles, the store ${n}`);
  console.log(`latest position of ${n} vehicles: store.vehicles() ${f1(viaStore)} ms (CPU ${f1(median(cpu))} ms), GET /api/v1/vehicles (${listed} vehicles, JSON) ${f1(median(http))} ms (CPU ${f1(median(httpCpu))} ms), medians of 5 (target 100 ms)`);
  console.log(`latest position, baseline GROUP BY max(time_ms) over the records: ${f1(b.ms)} ms; store.vehicles() takes ${ratio(viaStore, b.ms)} of it`);
}

/**
 * The process's memory while the HTTP API streams `days` of one vehicle as CSV (client and
 * server in this process; the client keeps nothing): RSS and heap sampled every 200 ms.
 */
async function exportMemory(store: Store, days: number, label: string): Promise<void> {
  const srv = await serve(store);
  // With --expose-gc (npm run bench passes it) the live heap is read after a full
  // collection each second: what the export holds, whatever V8's collection timing.
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    gc?.();
    const rss0 = process.memoryUsage().rss;
    const live0 = process.memoryUsage().heapUsed;
    let peakRss = rss0;
    let peakHeap = 0;
    let peakLive = live0;
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 200);
    const collect = gc
      ? setInterval(() => {
          gc();
          peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
        }, 1000)
      : null;
    const from = new Date(DAY0).toISOString();
    const to = new Date(DAY0 + days * DAY_S * 1000).toISOString();
    const r = await timedGet(`${srv.base}/api/v1/vehicles/${TARGET}/positions?from=${from}&to=${to}&format=csv`, srv.token);
    clearInterval(sample);
    if (collect) clearInterval(collect);
    const mb = (b: number) => (b / 1e6).toFixed(0);
    const live = gc ? `; live heap after a full GC each second: ${mb(live0)} MB before, peak ${mb(peakLive)} MB (+${mb(peakLive - live0)} MB)` : ' (live heap not measured: run with --expose-gc)';
    console.log(
      `export memory, ${label}: ${days} day(s) of ${TARGET} as CSV through the HTTP API, ${(r.bytes / 1e6).toFixed(0)} MB in ${(r.totalMs / 1000).toFixed(1)} s: ` +
        `RSS ${mb(rss0)} MB before, peak ${mb(peakRss)} MB (+${mb(peakRss - rss0)} MB), heap peak ${mb(peakHeap)} MB${live}`,
    );
  } finally {
    await srv.close();
  }
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
    const base = await dayQuery('baseline, table of one day (86,400 rows)', smallStore);
    const t = await dayQuery(`table of ${(g.rows / 1e6).toFixed(1)} M rows`, bigStore);
    await dayDocument(bigStore);
    console.log(`one vehicle's day: ${(g.rows / 1e6).toFixed(1)} M-row table takes ${ratio(t, base)} the one-day table's time (target: under 1 s total: ${t < 1000 ? 'met' : `missed at load average ${loadavg()[0]!.toFixed(1)}`})`);
    bboxQuery(bigStore.db);
    await latestQuery(bigStore);
    await exportMemory(smallStore, 1, 'baseline');
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
      await exportMemory(monthStore, MONTH_DAYS, 'month');
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
