// Retention (--keep-days) benchmark, SQLite and (when Debian's postgresql is installed)
// PostgreSQL in a throw-away cluster. Prints, per backend, the group commit of one second
// of 1,000 vehicles at 1 Hz (20 records here, as the store bench's ingest shape) with
// retention running flat out beside it (one step per commit, no pause between steps: the
// worst case; the server pauses 10 ms between steps) against the same commits without
// retention, measured in the same run; and the retention steps' own time (one vehicle,
// at most 500 rows, one transaction each). GS_BENCH_RETENTION_ROWS old rows (default
// 200,000) over 20 vehicles are removed.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord } from '../../src/codec/index.js';
import { Store } from '../../src/server/store/store.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import { retentionOf, type AnyStore } from '../../src/server/store/open.js';
import { pgUnavailable, startPgCluster } from '../support/pg-cluster.js';

const OLD_ROWS = Number(process.env.GS_BENCH_RETENTION_ROWS ?? 200_000);
const VEHICLES = 20;
const PER_COMMIT = 20;
const BASELINE_COMMITS = 300;
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

const dir = mkdtempSync(join(tmpdir(), 'geostream-retention-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const rec = (seq: number, timeMs: number) => ({ seq, timeMs, payload: encodeRecord({ seq, timeMs, lat7: 480_000_000 + seq, lon7: 110_000_000, altDm: 5000, speedCms: 1200, courseCdeg: 9000, mode: 3, sats: 9, hdopC: 90 }) });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const f1 = (x: number) => x.toFixed(1);

async function fill(s: AnyStore): Promise<void> {
  const per = Math.ceil(OLD_ROWS / VEHICLES);
  for (let v = 0; v < VEHICLES; v++)
    for (let k = 0; k < per; k += 5000) {
      const n = Math.min(5000, per - k);
      s.enqueue(`truck-${v}`, 'aaaaaaaaaaaaaaaa', Array.from({ length: n }, (_, i) => rec(k + i + 1, NOW - 40 * DAY + (k + i) * 1000)), [], () => {});
      await s.commit();
    }
}

/**
 * Times one commit of PER_COMMIT fresh records from the moment `beside` starts: on SQLite a
 * step holds the event loop and the commit waits for it (as in the server); on PostgreSQL
 * the step's transaction and the commit run at once on two connections.
 */
let liveSeq = 0;
async function timedCommit(s: AnyStore, beside: () => Promise<unknown> = () => Promise.resolve()): Promise<number> {
  s.enqueue('live', 'bbbbbbbbbbbbbbbb', Array.from({ length: PER_COMMIT }, () => rec(++liveSeq, NOW)), [], () => {});
  const t0 = performance.now();
  const side = beside();
  const [ms] = await Promise.all([s.commit().then(() => performance.now() - t0), side]);
  return ms;
}

async function bench(name: string, s: AnyStore): Promise<void> {
  await fill(s);
  const base: number[] = [];
  for (let i = 0; i < BASELINE_COMMITS; i++) base.push(await timedCommit(s));
  const r = retentionOf(s, { keepDays: 30, clock: () => NOW });
  const during: number[] = [];
  const t0 = performance.now();
  do during.push(await timedCommit(s, () => r.step()));
  while (!r.passDone);
  const passMs = performance.now() - t0;
  const p50 = pct(during, 0.5), p99 = pct(during, 0.99), b50 = pct(base, 0.5), b99 = pct(base, 0.99);
  console.log(`${name}: removed ${r.totals.records.toLocaleString('en')} records in ${r.totals.steps} steps, ${f1(passMs / 1000)} s (${Math.round(r.totals.records / (passMs / 1000)).toLocaleString('en')} rows/s), step mean ${f1(passMs / r.totals.steps)} ms, longest ${f1(r.totals.maxStepMs)} ms`);
  console.log(`${name}: commit of ${PER_COMMIT} records during retention p50 ${f1(p50)} ms p99 ${f1(p99)} ms vs without p50 ${f1(b50)} ms p99 ${f1(b99)} ms (${(p50 / b50).toFixed(2)}x, ${(p99 / b99).toFixed(2)}x)`);
  await s.close();
}

async function main(): Promise<void> {
  console.log(`retention bench: ${OLD_ROWS.toLocaleString('en')} rows 40 days old over ${VEHICLES} vehicles, --keep-days 30, batches of 500; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`);
  await bench('SQLite', Store.open(join(dir, 'ingest.db')));
  const noPg = pgUnavailable();
  if (noPg) {
    console.log(`PostgreSQL not measured: ${noPg}`);
    return;
  }
  const cluster = await startPgCluster();
  try {
    await bench('PostgreSQL', await PgStore.open(await cluster.database('retention_bench')));
  } finally {
    await cluster.stop();
  }
}

await main();
