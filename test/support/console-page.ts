// The operator console in chromium as the console benchmarks drive it: the page opened
// on the fleet map with a token, a measurement window over the page (frames, long tasks,
// heap, main-thread time, what the fleet map shows), and the time to draw one vehicle-day.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { Store } from '../../src/server/store/store.js';
import type { HeadlessBrowser } from './browser.js';
import { DAY_RECORDS, storeDay } from './day-track.js';
import { pct } from './bench-fleet.js';
import { runCli } from './cli-io.js';
import { httpBaseOf } from './http-api.js';
import { startServerProcess, type ServerProc } from './server-proc.js';

/** A server process with the HTTP API (--http) on a new SQLite file in the fleet's folder that holds one vehicle-day of `vehicle`, and an operator token. */
export async function startDayServer(fleet: { dir: string; ca: string }, vehicle: string): Promise<{ srv: ServerProc; base: string; token: string }> {
  const db = join(fleet.dir, 'ingest.db');
  const store = Store.open(db);
  storeDay(store, vehicle);
  store.close();
  const token = (await runCli(['server', 'token', 'add', 'bench', '--db', db])).stdout.trim();
  // GS_BENCH_READERS: --http-readers for the comparison with reads in the ingest process (0)
  const readers = process.env.GS_BENCH_READERS ? ['--http-readers', process.env.GS_BENCH_READERS] : [];
  const srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', ...readers] });
  return { srv, base: httpBaseOf(srv.output()), token };
}

/** The page's globals the measurements use (the benchmarks are typed without the DOM library; functions run in the page reach them through globalThis). */
interface PageGlobal {
  requestAnimationFrame(cb: (ts: number) => void): number;
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { type: string }): void; disconnect(): void };
  document: {
    querySelector(sel: string): { removeAttribute(a: string): void; dataset: Record<string, string | undefined> } | null;
    addEventListener(type: 'click', f: (e: { timeStamp: number }) => void, o: { capture: boolean; once: boolean }): void;
  };
  MutationObserver: new (cb: () => void) => { observe(el: unknown, o: { attributes: boolean; attributeFilter: string[] }): void; disconnect(): void };
  gsWindow?: Recorder;
  gsDraw?: { clickAt: number; setAt: number; drawnAt: number; long: number[]; obs: { disconnect(): void } | null };
  performance: { now(): number; getEntriesByType(t: 'resource'): { name: string; startTime: number; responseStart: number; responseEnd: number }[]; clearResourceTimings(): void };
}

/** What a measurement window records in the page. */
interface Recorder {
  frames: number[];
  long: number[];
  last: number;
  on: boolean;
  obs: { observe(o: { type: string }): void; disconnect(): void } | null;
  frame: ((ts: number) => void) | null;
  stop(): void;
}

export interface ConsolePage {
  page: Page;
  cdp: CDPSession;
  /** Uncaught errors in the page so far. */
  errors: string[];
}

/** Opens the console on the fleet map with `token` (#token=) and waits for the live feed and `vehicle` in the list. */
export async function openFleetMap(b: HeadlessBrowser, base: string, token: string, vehicle: string): Promise<ConsolePage> {
  const p = await b.context.newPage();
  await p.setViewportSize({ width: 1400, height: 1000 });
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await p.waitForSelector('#live-state.live-on', { timeout: 60_000 });
  await p.waitForSelector(`#vehicle-list tbody tr[data-vehicle="${vehicle}"]`, { timeout: 60_000 });
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Performance.enable');
  return { page: p, cdp, errors };
}

/** What the fleet map's header says: vehicles in the list, online, live events received since the page started. */
export async function fleetStats(p: Page): Promise<{ vehicles: number; online: number; events: number }> {
  const d = await p.evaluate(() => ({ ...(globalThis as unknown as PageGlobal).document.querySelector('#fleet-stats')!.dataset }));
  return { vehicles: Number(d.vehicles ?? 0), online: Number(d.online ?? 0), events: Number(d.events ?? 0) };
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const r = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));
}

const MB = 2 ** 20;

export interface PageWindow {
  wallS: number;
  frames: { n: number; p50: number; p99: number; max: number };
  longTasks: { n: number; totalMs: number };
  /** JS heap used, MB: after a full GC at the start, at the end, after a full GC at the end. */
  heap: { startGc: number; end: number; endGc: number };
  /** DOM nodes in the heap after the full GCs at the start and the end. */
  domNodes: { start: number; end: number };
  /** Share of the window the page's main thread was busy (tasks), and running script, %. */
  busyPct: number;
  scriptPct: number;
  fleet: { vehicles: number; online: number; events: number };
}

/**
 * Measures the page for `ms`: requestAnimationFrame intervals, long tasks (> 50 ms), heap,
 * main-thread time, live events received. With `profileTo`, also writes a CPU profile of
 * the page over the window there (.cpuprofile, for chromium's DevTools).
 */
export async function measureWindow(c: ConsolePage, ms: number, profileTo?: string): Promise<PageWindow> {
  const p = c.page;
  await c.cdp.send('HeapProfiler.collectGarbage');
  if (profileTo) {
    await c.cdp.send('Profiler.enable');
    await c.cdp.send('Profiler.start');
  }
  const m0 = await metrics(c.cdp);
  const f0 = await fleetStats(p);
  const t0 = performance.now();
  // Methods and assigned properties, no named arrow functions: tsx names those with a
  // helper (__name) that the page does not have.
  await p.evaluate(() => {
    const g = globalThis as unknown as PageGlobal;
    const w: Recorder = {
      frames: [],
      long: [],
      last: 0,
      on: true,
      obs: null,
      frame: null,
      stop() {
        this.on = false;
        this.obs?.disconnect();
      },
    };
    w.frame = (ts) => {
      if (w.last) w.frames.push(ts - w.last);
      w.last = ts;
      if (w.on) g.requestAnimationFrame(w.frame!);
    };
    g.requestAnimationFrame(w.frame);
    w.obs = new g.PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.long.push(e.duration);
    });
    w.obs.observe({ type: 'longtask' });
    g.gsWindow = w;
  });
  await new Promise((r) => setTimeout(r, ms));
  const got = await p.evaluate(() => {
    const w = (globalThis as unknown as PageGlobal).gsWindow!;
    w.stop();
    return { frames: w.frames, long: w.long };
  });
  const wallS = (performance.now() - t0) / 1000;
  if (profileTo) writeFileSync(profileTo, JSON.stringify((await c.cdp.send('Profiler.stop')).profile));
  const m1 = await metrics(c.cdp);
  const f1 = await fleetStats(p);
  await c.cdp.send('HeapProfiler.collectGarbage');
  const m2 = await metrics(c.cdp);
  const d = (k: string) => ((m1[k]! - m0[k]!) * 100) / wallS;
  return {
    wallS,
    frames: { n: got.frames.length, p50: pct(got.frames, 50), p99: pct(got.frames, 99), max: Math.max(0, ...got.frames) },
    longTasks: { n: got.long.length, totalMs: got.long.reduce((a, x) => a + x, 0) },
    heap: { startGc: m0.JSHeapUsedSize! / MB, end: m1.JSHeapUsedSize! / MB, endGc: m2.JSHeapUsedSize! / MB },
    domNodes: { start: m0.Nodes!, end: m2.Nodes! },
    busyPct: d('TaskDuration'),
    scriptPct: d('ScriptDuration'),
    fleet: { vehicles: f1.vehicles, online: f1.online, events: f1.events - f0.events },
  };
}

declare function requestAnimationFrame(cb: () => void): number;

/**
 * One draw of the day, ms: from the harness's click to the frame on screen (`wall`), from
 * the click event to that frame, timed in the page (`event`: what a user waits, without the
 * harness's own round trips), the page's own count from its requests to drawn (`own`) and
 * its part after the responses (`after`), the track request's first and last byte after
 * it was sent, and the page's count to every field of the range read (`detail`).
 */
export interface DayDraw {
  wall: number;
  event: number;
  own: number;
  after: number;
  firstByte: number;
  lastByte: number;
  /** From the click event to the first request sent (the track's), and from the count set to two frames later (what the draw queued, painted), ms. */
  toRequest: number;
  toPaint: number;
  /** The page's own count from its requests to every field of every record in (the second read, after the draw). */
  detail: number;
  /** Tasks over 50 ms on the page's main thread from the click to every field in: how many, and the longest, ms. */
  longTasks: number;
  longestTask: number;
}

/**
 * Loads the vehicle view's range again (the form's "show"; the first time by clicking
 * `vehicle` in the list) and waits until its DAY_RECORDS points are drawn.
 */
export async function drawDay(p: Page, vehicle: string, first: boolean): Promise<DayDraw> {
  await p.evaluate((n) => {
    // Methods and assigned properties only: see measureWindow().
    const g = globalThis as unknown as PageGlobal;
    const el = g.document.querySelector('#track-summary')!;
    el.removeAttribute('data-points');
    el.removeAttribute('data-detail-ms');
    g.performance.clearResourceTimings();
    const d: NonNullable<PageGlobal['gsDraw']> = { clickAt: NaN, setAt: NaN, drawnAt: NaN, long: [], obs: null };
    g.gsDraw = d;
    const obs = new g.PerformanceObserver(function (l) {
      for (const e of l.getEntries()) d.long.push(e.duration);
    });
    obs.observe({ type: 'longtask' });
    d.obs = obs;
    g.document.addEventListener(
      'click',
      function (e) {
        d.clickAt = e.timeStamp;
      },
      { capture: true, once: true },
    );
    // two animation frames after the count is set: what draw() queued is on screen
    const mo = new g.MutationObserver(function () {
      if (el.dataset.points !== String(n)) return;
      d.setAt = g.performance.now();
      mo.disconnect();
      g.requestAnimationFrame(function () {
        g.requestAnimationFrame(function () {
          d.drawnAt = g.performance.now();
        });
      });
    });
    mo.observe(el, { attributes: true, attributeFilter: ['data-points'] });
  }, DAY_RECORDS);
  const t0 = performance.now();
  if (first) await p.locator(`#vehicle-list tbody tr[data-vehicle="${vehicle}"]`).click();
  else await p.click('#range-form button[type=submit]');
  await p.waitForSelector(`#track-summary[data-points="${DAY_RECORDS}"]`, { timeout: 60_000 });
  await p.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  const wall = performance.now() - t0;
  await p.waitForFunction(() => !Number.isNaN((globalThis as unknown as PageGlobal).gsDraw!.drawnAt));
  // the second read done before the next draw starts
  await p.waitForSelector('#track-summary[data-detail-ms]', { timeout: 60_000 });
  const inPage = await p.evaluate(() => {
    const g = globalThis as unknown as PageGlobal;
    // the first track read: the one the draw waits for
    const e = g.performance.getEntriesByType('resource').filter((x) => x.name.includes('/positions?'))[0];
    const d = g.gsDraw!;
    d.obs!.disconnect();
    return { event: d.drawnAt - d.clickAt, toRequest: e ? e.startTime - d.clickAt : NaN, toPaint: d.drawnAt - d.setAt, firstByte: e ? e.responseStart - e.startTime : NaN, lastByte: e ? e.responseEnd - e.startTime : NaN, longestTask: Math.max(0, ...d.long), longTasks: d.long.length };
  });
  const attr = async (a: string) => Number(await p.getAttribute('#track-summary', a));
  return { wall, own: await attr('data-ms'), after: await attr('data-draw-ms'), detail: await attr('data-detail-ms'), ...inPage };
}
