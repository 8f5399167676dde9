// The console's PMTiles base map as the server serves it: a real server process with
// --http-pmtiles on an archive of 1,365 tiles of 30 KB (zooms 0-5, incompressible bytes,
// about 41 MB), 1,000 range requests of one tile each with the operator token over one
// keep-alive connection, after 200 to warm up; and through the page's reader (the pmtiles
// package's FetchSource, header and directory cached) one getZxy per random tile. The
// baseline: the same ranges from a bare Node static-file server (fs.createReadStream with
// start/end, no token, no checks) in this process. Prints p50/p90/p99 and the ratio of the
// medians.
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FetchSource, PMTiles } from 'pmtiles';
import { makeFleet } from '../support/link-fixture.js';
import { startServerProcess } from '../support/server-proc.js';
import { runCli } from '../support/cli-io.js';
import { httpBaseOf } from '../support/http-api.js';
import { writePmtiles, type PackedTile } from '../support/pmtiles-writer.js';

const TILE_BYTES = 30_000;
const WARM = 200;
const N = 1000;

const fleet = await makeFleet([], 'gs-bench-basemap-');
const db = join(fleet.dir, 'ingest.db');
const token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
const tiles: PackedTile[] = [];
for (let z = 0; z <= 5; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tiles.push({ z, x, y, data: randomBytes(TILE_BYTES) });
const file = join(fleet.dir, 'region.pmtiles');
writeFileSync(file, writePmtiles({ tiles }));
const size = statSync(file).size;

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;
const line = (what: string, xs: number[]) => `${what}: p50 ${q(xs, 0.5).toFixed(2)} ms, p90 ${q(xs, 0.9).toFixed(2)} ms, p99 ${q(xs, 0.99).toFixed(2)} ms (n=${xs.length})`;

/** Times N one-tile range requests to `url` (after WARM unmeasured ones). */
async function ranges(url: string, headers: Record<string, string>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WARM + N; i++) {
    const start = Math.floor(Math.random() * (size - TILE_BYTES));
    const t0 = performance.now();
    const r = await fetch(url, { headers: { ...headers, range: `bytes=${start}-${start + TILE_BYTES - 1}` } });
    const n = (await r.arrayBuffer()).byteLength;
    if (r.status !== 206 || n !== TILE_BYTES) throw new Error(`${url}: ${r.status}, ${n} bytes`);
    if (i >= WARM) out.push(performance.now() - t0);
  }
  return out;
}

const bare = createServer((req, res) => {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')!;
  const [start, end] = [Number(m[1]), Number(m[2])];
  res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
  createReadStream(file, { start, end }).pipe(res);
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const bareMs = await ranges(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/region.pmtiles`, {});
await new Promise<void>((r) => bare.close(() => r()));

const srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', '--http-pmtiles', file] });
try {
  const url = `${httpBaseOf(srv.output())}/api/v1/basemap.pmtiles`;
  const auth = { authorization: `Bearer ${token}` };
  const serverMs = await ranges(url, auth);
  const reader = new PMTiles(new FetchSource(url, new Headers(auth)));
  await reader.getHeader();
  const zxyMs: number[] = [];
  for (let i = 0; i < WARM + N; i++) {
    const t = tiles[Math.floor(Math.random() * tiles.length)]!;
    const t0 = performance.now();
    const got = await reader.getZxy(t.z, t.x, t.y);
    if (got?.data.byteLength !== TILE_BYTES) throw new Error(`tile ${t.z}/${t.x}/${t.y}: ${got?.data.byteLength} bytes`);
    if (i >= WARM) zxyMs.push(performance.now() - t0);
  }
  console.log(`archive: ${tiles.length} tiles of ${TILE_BYTES} B, ${(size / 1e6).toFixed(1)} MB`);
  console.log(line('bare static range server (baseline)', bareMs));
  console.log(line('geostream /api/v1/basemap.pmtiles, one tile range with the token', serverMs));
  console.log(line('pmtiles getZxy through FetchSource (what the page does per tile)', zxyMs));
  console.log(`ratio p50 geostream / bare: ${(q(serverMs, 0.5) / q(bareMs, 0.5)).toFixed(2)}`);
} finally {
  await srv.stop();
  fleet.cleanup();
}
