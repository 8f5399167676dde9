// Fleet store benchmark on PostgreSQL: the read side of store.bench.ts (SQLite) on the
// PostgreSQL store (--db postgres://..., src/server/store/pg/), in a throw-away cluster of
// Debian's postgresql. `npm run bench -- store` runs both files; `npm run bench -- store-pg`
// this one only, `npm run bench -- store.bench` the SQLite one only. Prints measurements and
// ratios against baselines measured in the same run:
//  1. one vehicle's day at 1 Hz (86,400 rows) as GeoJSON through the real HTTP API (time to
//     first byte, total, CPU of this process, which is server and client, and of PostgreSQL)
//     in a table of GS_BENCH_ROWS (default 10,000,000) rows, against the same query in a
//     database holding only that day; the same document built without HTTP; and EXPLAIN
//     ANALYZE of one of the export's keyset pages;
//  2. everything inside a bounding box during one hour, the per-vehicle form and a LATERAL
//     form (one index scan per vehicle) against the plain WHERE, with their plans;
//  3. the latest position of every vehicle (3,000), store.vehicles() and GET /api/v1/vehicles,
//     against the GROUP BY max(time_ms) a store without the `devices` pointer has to run, and
//     EXPLAIN ANALYZE of the store's query;
//  4. memory of this process while the API streams a month of one vehicle (CSV, 2.6 M rows;
//     GS_BENCH_MONTH_DAYS, 0 skips it) against one day: the live heap must stay flat.
// Targets (docs/DATA.md, issue "fleet data"): the day's GeoJSON under 1 s total, the latest
// positions of 3,000 vehicles under 100 ms. Ingest on PostgreSQL is in store.bench.ts.
// The data is test/support/store-fleet.ts's, generated inside PostgreSQL in one transaction
// (generate_series, rows in time order across vehicles as ingest writes them) into the schema
// the store itself creates: its indexes exist before the rows arrive, as on the real path
// (the server creates them with the tables; no migration builds them over existing rows),
// so the load maintains them row by row. VACUUM ANALYZE afterwards (autovacuum would do the
// same to a table this size, and is off so that it cannot run during the measurements).
// The cluster keeps fsync and synchronous_commit on; shared_buffers is 1 GB and checkpoints
// are spaced out so the load does not spend its time in them. Page cache warm.
import pg from 'pg';
import { availableParallelism, loadavg } from 'node:os';
import { HttpApi } from '../../src/server/http/api.js';
import { PgTokenStore } from '../../src/server/http/tokens-pg.js';
import { silentLogger } from '../../src/base/log.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { REC_PAGE } from '../../src/server/store/pg/read.js';
import { VEHICLE_SQL } from '../../src/server/store/read.js';
import { pgUnavailable, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { BBOX, bboxSql, DAY0, DAY_S, FULL, fleetSql, LATEST_GROUP_BY_SQL, MONTH_DAYS, ROWS, SHORT, TARGET, TARGET_N, VEHICLES, type FleetPart } from '../support/store-fleet.js';
import { cpuMs, dayDocument, dayQuery, exportMemory, f1, latestPositions, median, ms, ratio, verdict, type OtherCpu, type Served } from '../support/store-reads.js';

const SETTINGS = { shared_buffers: '1GB', max_wal_size: '20GB', checkpoint_timeout: '30min', maintenance_work_mem: '512MB', autovacuum: 'off' };

const load = () => loadavg()[0]!;
const secs = (x: number) => (x / 1000).toFixed(1);

/** Fills a new database of `cluster` with `part` of the fleet through the store's own schema; VACUUM ANALYZE after. */
async function generate(cluster: PgCluster, name: string, part: FleetPart): Promise<{ url: string; rows: number; ms: number; cpuMs: number; pgCpuMs: number; vacuumMs: number; sizes: string }> {
  const url = await cluster.database(name);
  await (await PgStore.open(url)).close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const sql = fleetSql('postgres', part);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const p0 = cluster.cpuMs();
    let rows = 0;
    await c.query('BEGIN');
    for (const q of sql.records) rows += (await c.query(q)).rowCount ?? 0;
    for (const q of sql.then) await c.query(q);
    await c.query('COMMIT');
    const loaded = { rows, ms: ms(t0), cpuMs: cpuMs(c0), pgCpuMs: cluster.cpuMs() - p0 };
    const v0 = performance.now();
    await c.query('VACUUM ANALYZE');
    const vacuumMs = ms(v0);
    const size = (rel: string) => `pg_size_pretty(pg_relation_size('${rel}'))`;
    const s = (await c.query(`SELECT pg_size_pretty(pg_total_relation_size('records')) AS total, ${size('records')} AS heap, ${size('records_pkey')} AS pkey, ${size('records_device_time')} AS idx`))
      .rows[0] as Record<string, string>;
    return { url, ...loaded, vacuumMs, sizes: `records ${s.total} (heap ${s.heap}, primary key ${s.pkey}, records_device_time ${s.idx})` };
  } finally {
    await c.end();
  }
}

/** `f` with the real read-only HTTP API on `store` (its own operator token), stopped after. */
async function served<T>(store: PgStore, f: (srv: Served) => Promise<T>): Promise<T> {
  await PgTokenStore.ensureTable(store.pool);
  const tokens = new PgTokenStore(store.pool);
  const token = await tokens.add(`bench-${Math.random().toString(36).slice(2, 8)}`);
  const api = new HttpApi({ host: '127.0.0.1', port: 0, queries: store, tokens, online: () => new Set(), log: silentLogger() });
  await api.start();
  try {
    return await f({ base: `http://127.0.0.1:${api.address.port}`, token });
  } finally {
    await api.stop();
  }
}

/** The plan PostgreSQL runs `sql` with, its lines joined (EXPLAIN `opts`). */
async function plan(pool: pg.Pool, sql: string, values: unknown[], opts = 'COSTS OFF'): Promise<string> {
  const r = await pool.query(`EXPLAIN (${opts}) ${sql}`, values);
  return (r.rows as { 'QUERY PLAN': string }[]).map((x) => x['QUERY PLAN'].trim()).join('; ');
}

async function timedQuery(pool: pg.Pool, runs: number, sql: string, values: unknown[]): Promise<{ ms: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = (await pool.query(sql, values)).rowCount ?? 0;
    times.push(ms(t0));
  }
  return { ms: median(times), rows };
}

/** EXPLAIN ANALYZE of the export's first keyset page of the day: where a page's time goes in PostgreSQL. */
async function pagePlan(store: PgStore): Promise<void> {
  const p = await plan(store.pool, REC_PAGE, [TARGET, DAY0, '', -1, DAY0 + DAY_S * 1000, 2000], 'ANALYZE, BUFFERS, COSTS OFF');
  console.log(`one export page (2,000 rows) of ${TARGET}'s day: [${p}]`);
}

async function bboxQuery(pool: pg.Pool): Promise<void> {
  const keys = Object.keys(BBOX) as (keyof typeof BBOX)[];
  const sql = bboxSql((k) => `$${keys.indexOf(k) + 1}`);
  const values = keys.map((k) => BBOX[k]);
  const a = await timedQuery(pool, 3, sql.perVehicle, values);
  const b = await timedQuery(pool, 1, sql.plain, values);
  if (a.rows !== b.rows) throw new Error(`bbox: the two forms disagree (${a.rows} vs ${b.rows} rows)`);
  console.log(`bbox + hour, per-vehicle form (device IN (SELECT device FROM devices)): ${a.rows} rows in ${f1(a.ms)} ms median of 3 [${await plan(pool, sql.perVehicle, values)}]`);
  console.log(`bbox + hour, baseline plain WHERE: ${b.rows} rows in ${f1(b.ms)} ms [${await plan(pool, sql.plain, values)}]`);
  console.log(`bbox + hour: per-vehicle form takes ${ratio(a.ms, b.ms)} the plain WHERE's time`);
  // PostgreSQL's way to one index scan per vehicle: a LATERAL subquery, OFFSET 0 so the planner keeps it apart
  const lateral = `SELECT r.* FROM devices d CROSS JOIN LATERAL (SELECT ${sql.cols} FROM records WHERE device = d.device AND ${sql.where} OFFSET 0) r ORDER BY r.device, r.time_ms`;
  const l = await timedQuery(pool, 3, lateral, values);
  if (l.rows !== b.rows) throw new Error(`bbox: the LATERAL form disagrees (${l.rows} vs ${b.rows} rows)`);
  console.log(`bbox + hour, per-vehicle LATERAL form: ${l.rows} rows in ${f1(l.ms)} ms median of 3, ${ratio(l.ms, b.ms)} the plain WHERE's time [${await plan(pool, lateral, values)}]`);
}

async function latestQuery(store: PgStore): Promise<void> {
  const l = await served(store, (srv) => latestPositions(store, srv));
  const b = await timedQuery(store.pool, 1, LATEST_GROUP_BY_SQL, []);
  if (b.rows < l.n) throw new Error(`latest: the baseline found ${b.rows} vehicles, the store ${l.n}`);
  console.log(`${l.text} (target under 100 ms: ${verdict(l.storeMs < 100 && l.httpMs < 100, load())})`);
  console.log(`latest position, the store's query in PostgreSQL: [${await plan(store.pool, `${VEHICLE_SQL} ORDER BY d.device`, [], 'ANALYZE, BUFFERS, COSTS OFF')}]`);
  console.log(`latest position, baseline GROUP BY max(time_ms) over the records: ${f1(b.ms)} ms; store.vehicles() takes ${ratio(l.storeMs, b.ms)} of it`);
}

async function main(cluster: PgCluster): Promise<void> {
  const pgCpu: OtherCpu = { name: 'PostgreSQL', now: () => cluster.cpuMs() };
  console.log(`store bench, PostgreSQL: ${ROWS.toLocaleString('en')} rows target: ${FULL} vehicles with a day at 1 Hz, ${VEHICLES - FULL} with ${SHORT} rows each; load average ${load().toFixed(1)} on ${availableParallelism()} CPUs`);
  const g = await generate(cluster, 'fleet', { full: FULL, short: SHORT, vehicles: VEHICLES });
  console.log(
    `generated ${g.rows.toLocaleString('en')} rows in ${secs(g.ms)} s (one transaction, indexes kept row by row; CPU: PostgreSQL ${secs(g.pgCpuMs)} s, this process ${secs(g.cpuMs)} s), ` +
      `VACUUM ANALYZE ${secs(g.vacuumMs)} s; ${g.sizes}; load average ${load().toFixed(1)}`,
  );
  const small = await generate(cluster, 'day', { full: 1, short: 0, vehicles: 1, first: TARGET_N });
  const bigStore = await PgStore.open(g.url);
  const smallStore = await PgStore.open(small.url);
  try {
    const base = await served(smallStore, (srv) => dayQuery('PostgreSQL baseline, table of one day (86,400 rows)', srv, pgCpu));
    const t = await served(bigStore, (srv) => dayQuery(`PostgreSQL, table of ${(g.rows / 1e6).toFixed(1)} M rows`, srv, pgCpu));
    await dayDocument(bigStore);
    await pagePlan(bigStore);
    console.log(`PostgreSQL, one vehicle's day: ${(g.rows / 1e6).toFixed(1)} M-row table takes ${ratio(t, base)} the one-day table's time (target: under 1 s total: ${verdict(t < 1000, load())})`);
    await bboxQuery(bigStore.pool);
    await latestQuery(bigStore);
    if (MONTH_DAYS > 0) await served(smallStore, (srv) => exportMemory(srv, 1, 'PostgreSQL baseline'));
  } finally {
    await bigStore.close();
    await smallStore.close();
  }
  if (MONTH_DAYS > 0) {
    const m = await generate(cluster, 'month', { full: 1, short: 0, vehicles: 1, first: TARGET_N, days: MONTH_DAYS });
    console.log(`generated ${TARGET}'s ${MONTH_DAYS} days at 1 Hz: ${m.rows.toLocaleString('en')} rows in ${secs(m.ms)} s`);
    const monthStore = await PgStore.open(m.url);
    try {
      await served(monthStore, (srv) => exportMemory(srv, MONTH_DAYS, 'PostgreSQL month'));
    } finally {
      await monthStore.close();
    }
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
}

const noPg = pgUnavailable();
if (noPg) console.log(`store bench on PostgreSQL not run: ${noPg}`);
else {
  const t0 = performance.now();
  const cluster = await startPgCluster(SETTINGS);
  try {
    await main(cluster);
  } finally {
    await cluster.stop();
  }
  console.log(`PostgreSQL part: ${secs(ms(t0))} s in all`);
}
