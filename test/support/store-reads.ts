/**
 * The read measurements the store benchmarks make on either database through the real
 * HTTP API: one vehicle's day as GeoJSON, the latest positions of the fleet, the memory of
 * a long export. Client and server share this process, so its CPU time is both of theirs.
 */
import { get as httpGet } from 'node:http';
import { formatTrack } from '../../src/server/formats/index.js';
import type { StoreQueries } from '../../src/server/store/query.js';
import { DAY0, DAY_S, TARGET } from './store-fleet.js';

export const ms = (t0: number) => performance.now() - t0;
/** CPU time of this process since `c0` (user + system), ms: what a request costs whatever the machine's load. */
export const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
export const f1 = (x: number) => x.toFixed(1);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
/** "met", or "missed" with the load it was missed at. */
export const verdict = (ok: boolean, load: number) => (ok ? 'met' : `missed at load average ${load.toFixed(1)}`);

/** The HTTP API serving a store, with one operator token. */
export interface Served {
  base: string;
  token: string;
}

/** CPU time spent outside this process (the database server's), ms since the last call's reading. */
export type OtherCpu = { name: string; now(): number };

/**
 * GET with node:http, reading the body as it streams: time to the first body byte, total,
 * bytes; the text only when `keep` (the client shares this process with the server, so
 * it does as little as it can).
 */
export function timedGet(url: string, token: string, keep = false): Promise<{ ttfbMs: number; totalMs: number; cpuMs: number; bytes: number; text: string }> {
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

const dayRange = (days = 1) => `from=${new Date(DAY0).toISOString()}&to=${new Date(DAY0 + days * DAY_S * 1000).toISOString()}`;

/** The target vehicle's day as GeoJSON through the API, `runs` times; prints the medians and returns the total's. */
export async function dayQuery(label: string, srv: Served, other?: OtherCpu, runs = 3): Promise<number> {
  const url = `${srv.base}/api/v1/vehicles/${TARGET}/positions?${dayRange()}&format=geojson`;
  const res: { ttfbMs: number; totalMs: number; cpuMs: number; bytes: number; otherMs: number }[] = [];
  let features = 0;
  for (let i = 0; i < runs; i++) {
    const o0 = other?.now() ?? 0;
    const r = await timedGet(url, srv.token, i === 0);
    if (i === 0) features = (JSON.parse(r.text) as { features: unknown[] }).features.length;
    res.push({ ...r, otherMs: (other?.now() ?? 0) - o0 });
  }
  const total = median(res.map((r) => r.totalMs));
  const later = res.slice(1);
  const otherCpu = other ? `, ${other.name} CPU ${f1(median(later.map((r) => r.otherMs)))} ms` : '';
  console.log(
    `${label}: GeoJSON of ${TARGET}'s day, ${features} features (${(res[0]!.bytes / 1e6).toFixed(1)} MB): first byte ${f1(median(res.map((r) => r.ttfbMs)))} ms, ` +
      `total ${f1(total)} ms, CPU ${f1(median(later.map((r) => r.cpuMs)))} ms (server and client)${otherCpu}, medians of ${runs} (first run, the client also parsing the JSON: ${f1(res[0]!.totalMs)} ms)`,
  );
  return total;
}

/**
 * The day's GeoJSON built from the store without HTTP (no socket, no client): what of the
 * HTTP total is the server's own reading and formatting, medians of `runs`.
 */
export async function dayDocument(store: StoreQueries, runs = 3): Promise<void> {
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

/** The latest position of every vehicle, store.vehicles() and GET /api/v1/vehicles, medians of 5. */
export async function latestPositions(store: StoreQueries, srv: Served): Promise<{ n: number; storeMs: number; httpMs: number; text: string }> {
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
  const http: number[] = [];
  const httpCpu: number[] = [];
  let listed = 0;
  for (let i = 0; i < 5; i++) {
    const r = await timedGet(`${srv.base}/api/v1/vehicles`, srv.token, i === 0);
    if (i === 0) listed = (JSON.parse(r.text) as { vehicles: unknown[] }).vehicles.length;
    http.push(r.totalMs);
    httpCpu.push(r.cpuMs);
  }
  const storeMs = median(times);
  const httpMs = median(http);
  const text = `latest position of ${n} vehicles: store.vehicles() ${f1(storeMs)} ms (CPU ${f1(median(cpu))} ms), GET /api/v1/vehicles (${listed} vehicles, JSON) ${f1(httpMs)} ms (CPU ${f1(median(httpCpu))} ms), medians of 5`;
  return { n, storeMs, httpMs, text };
}

/**
 * The process's memory while the HTTP API streams `days` of the target vehicle as CSV
 * (client and server in this process; the client keeps nothing): RSS and heap sampled
 * every 200 ms, and with --expose-gc (npm run bench passes it) the live heap after a full
 * collection each second: what the export holds, whatever V8's collection timing.
 */
export async function exportMemory(srv: Served, days: number, label: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
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
  try {
    const r = await timedGet(`${srv.base}/api/v1/vehicles/${TARGET}/positions?${dayRange(days)}&format=csv`, srv.token);
    const mb = (b: number) => (b / 1e6).toFixed(0);
    const live = gc ? `; live heap after a full GC each second: ${mb(live0)} MB before, peak ${mb(peakLive)} MB (+${mb(peakLive - live0)} MB)` : ' (live heap not measured: run with --expose-gc)';
    console.log(
      `export memory, ${label}: ${days} day(s) of ${TARGET} as CSV through the HTTP API, ${(r.bytes / 1e6).toFixed(0)} MB in ${(r.totalMs / 1000).toFixed(1)} s: ` +
        `RSS ${mb(rss0)} MB before, peak ${mb(peakRss)} MB (+${mb(peakRss - rss0)} MB), heap peak ${mb(peakHeap)} MB${live}`,
    );
  } finally {
    clearInterval(sample);
    if (collect) clearInterval(collect);
  }
}
