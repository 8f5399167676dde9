// The operator console's data path for one vehicle-day at 1 Hz (86,400 records in a real
// SQLite store): the positions document the server writes and the page reads, as GeoJSON
// (the baseline) and as columnar JSON (format=columns, what the console loads). Prints
// per format: bytes (and gzip -6 bytes), server time to write it from the store, page-side
// time from the text to the arrays the vehicle view draws (fix times, lat, lon and the chart
// columns: for GeoJSON JSON.parse and a pass over the features, as the console did before
// it read columns; for columns JSON.parse, decodeColumns and web/console/track.ts), and the
// ratios columns / GeoJSON measured in this run.
// Records: test/support/day-track.ts (real drives replayed, SYNTHETIC sensor values).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Store } from '../../src/server/store/store.js';
import { formatTrack, type TrackFormat } from '../../src/server/formats/index.js';
import { decodeColumns, type ColumnsDocument } from '../../src/server/formats/columns-decode.js';
import { Track } from '../../web/console/track.js';
import { DAY_RECORDS as RECORDS, DAY_T0 as T0, storeDay } from '../support/day-track.js';

const RUNS = 3;

const dir = mkdtempSync(join(tmpdir(), 'gs-bench-console-'));
const store = Store.open(join(dir, 'ingest.db'));
storeDay(store, 'truck-1');

async function write(format: TrackFormat): Promise<string> {
  let s = '';
  for await (const c of formatTrack(format, store.trackPages('truck-1', T0, T0 + RECORDS * 1000), { device: 'truck-1' })) s += c;
  return s;
}

interface GeoJsonDoc {
  features: { properties: Record<string, unknown> & { kind: string; time: string; lat: number | null; lon: number | null } }[];
}

const CHART_KEYS = ['speedMps', 'rpm', 'coolantC', 'oilKpa', 'fuelPct', 'batteryV', 'tyresKpa', 'faults'];

/** Text -> fix times (s), lat, lon and the chart columns; returns the point count. */
const read: Record<'geojson' | 'columns', (text: string) => number> = {
  geojson(text) {
    const points = (JSON.parse(text) as GeoJsonDoc).features.map((f) => f.properties).filter((p) => p.kind === 'position' && p.lat !== null && p.lon !== null);
    const t = points.map((p) => Date.parse(p.time) / 1000);
    const lat = points.map((p) => p.lat);
    const lon = points.map((p) => p.lon);
    const cols = CHART_KEYS.map((k) => points.map((p) => p[k]));
    return Math.min(t.length, lat.length, lon.length, ...cols.map((c) => c.length));
  },
  columns(text) {
    const tr = Track.fromColumns(decodeColumns(JSON.parse(text) as ColumnsDocument));
    const cols = CHART_KEYS.map((k) => tr.col(k));
    return Math.min(tr.t.length, tr.lat.length, tr.lon.length, ...cols.map((c) => c.length));
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Result {
  bytes: number;
  gzip: number;
  writeMs: number;
  readMs: number;
}

async function measure(format: 'geojson' | 'columns'): Promise<Result> {
  const writes: number[] = [];
  const reads: number[] = [];
  let text = '';
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    text = await write(format);
    writes.push(performance.now() - t0);
    const t1 = performance.now();
    const n = read[format](text);
    reads.push(performance.now() - t1);
    if (n !== RECORDS) throw new Error(`${format}: read ${n} records, expected ${RECORDS}`);
  }
  return { bytes: Buffer.byteLength(text), gzip: gzipSync(text, { level: 6 }).length, writeMs: median(writes), readMs: median(reads) };
}

const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
try {
  const geo = await measure('geojson');
  const col = await measure('columns');
  console.log(`one vehicle-day, ${RECORDS.toLocaleString('en')} records at 1 Hz, every column; median of ${RUNS} runs`);
  for (const [name, r] of [['GeoJSON', geo], ['columns', col]] as const)
    console.log(`  ${name.padEnd(8)} ${mb(r.bytes).padStart(9)} (gzip ${mb(r.gzip)}), server write ${r.writeMs.toFixed(0)} ms, page read ${r.readMs.toFixed(0)} ms, ${(r.bytes / RECORDS).toFixed(1)} B/record`);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(3)} (1/${(b / a).toFixed(1)})`;
  console.log(`  columns / GeoJSON: bytes ${ratio(col.bytes, geo.bytes)}, gzip bytes ${ratio(col.gzip, geo.gzip)}, server write ${ratio(col.writeMs, geo.writeMs)}, page read ${ratio(col.readMs, geo.readMs)}`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
