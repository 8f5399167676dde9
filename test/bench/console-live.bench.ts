/**
 * The operator console while a fleet streams: a real server process (--http) on a real
 * SQLite file that also holds one vehicle-day at 1 Hz (test/support/day-track.ts,
 * "truck-1"), GS_BENCH_CONSOLE_VEHICLES vehicles (3000) from the link benchmark's load
 * generator (a process of its own, test/support/fleet-proc.ts: each vehicle its own
 * DeviceLink, QUIC connection and certificate, joining in waves of 250), and Debian's
 * chromium on the fleet map with an operator token (#token=). The vehicles sit on a grid
 * around truck-1's last position and each circles its own spot, so every record moves a
 * marker. GS_BENCH_FLEET_NICE (0) runs the fleet at that nice value: the vehicles stand
 * in for trucks on other machines, and at 10 they take the CPU the server, its readers
 * and the browser leave (their records per second say whether they still keep 1 Hz).
 *
 * Three windows of GS_BENCH_CONSOLE_WINDOW_S seconds (20), in this order:
 *   1. page, fleet connected but idle (no records): the page's baseline;
 *   2. fleet streaming at 1 Hz, no page open: the ingest baseline;
 *   3. page, fleet streaming: the live page.
 * In each page window, a freshly loaded page: requestAnimationFrame intervals p50/p99/max,
 * long tasks (> 50 ms, PerformanceObserver 'longtask') count and total, the JS heap
 * after a full GC at the start, at the end and after a full GC at the end (CDP
 * Performance.getMetrics, HeapProfiler.collectGarbage), DOM nodes, the main thread's busy
 * share, the vehicles the page lists and the live events it received. Then, in the same
 * page, RUNS draws of truck-1's day (86,400 points; target under 1 s), as
 * console-draw.bench.ts draws it. In every window: the server's CPU and RSS, its track
 * readers' CPU, chromium's CPU and PSS (all its processes), the load generator's CPU, and
 * the vehicles' fix->ack
 * p50/p99 (also during the draws: the server reads the day while it ingests).
 * Ratios: window 3 against window 1 (the page), and against window 2 (ingest).
 * GS_BENCH_CONSOLE_PROFILE=FILE writes a CPU profile of the page in window 3 to FILE.
 * The load generator, the server and chromium share this machine's CPUs; the load
 * average and each one's CPU are printed, so a reader sees when the machine is full.
 */
import { cpus, loadavg } from 'node:os';
import type { VehicleDocument } from '../../src/server/http/documents.js';
import { startFleetProcess, type FleetProc } from '../support/fleet-proc.js';
import { makeFleet } from '../support/link-fixture.js';
import type { ServerProc } from '../support/server-proc.js';
import { get } from '../support/http-api.js';
import { launchChromium, type HeadlessBrowser } from '../support/browser.js';
import { DAY_RECORDS } from '../support/day-track.js';
import { drawDay, fleetStats, measureWindow, openFleetMap, startDayServer, type DayDraw, type PageWindow } from '../support/console-page.js';
import { cpuMs, rssMb } from '../support/quic-junk.js';
import { childrenMatching, cpuMsOf, descendants, pssMbOf } from '../support/proc-tree.js';
import { runBench } from '../support/bench-main.js';

const VEHICLES = Number(process.env.GS_BENCH_CONSOLE_VEHICLES ?? 3000);
const WINDOW_S = Number(process.env.GS_BENCH_CONSOLE_WINDOW_S ?? 20);
const RUNS = 3;
const RAMP = 250;
const FLEET_NICE = Number(process.env.GS_BENCH_FLEET_NICE ?? 0);
const DAY_VEHICLE = 'truck-1';
/** A file to write a CPU profile of the live page's window to (unset: none). */
const PROFILE = process.env.GS_BENCH_CONSOLE_PROFILE;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** What the machine did while `during` ran: server, chromium, load generator, and the vehicles' fix->ack. */
interface Machine {
  wallS: number;
  serverCpuPct: number;
  serverRssMb: number;
  readersCpuPct: number;
  chromiumCpuPct: number;
  chromiumPssMb: number;
  generatorCpuPct: number;
  acked: number;
  p50: number;
  p99: number;
}

async function watch<T>(srv: ServerProc, fleet: FleetProc, during: () => Promise<T>): Promise<[T, Machine]> {
  const chromium = () => descendants(process.pid, /chrom/, [srv.pid, fleet.pid]);
  const readers = () => childrenMatching(srv.pid, /server reader/);
  await fleet.take();
  const s0 = cpuMs(srv.pid);
  const r0 = cpuMsOf(readers());
  const b0 = cpuMsOf(chromium());
  const g0 = fleet.cpuMs();
  const t0 = performance.now();
  const r = await during();
  const wallS = (performance.now() - t0) / 1000;
  const g = fleet.cpuMs() - g0;
  const pids = chromium();
  const lat = await fleet.take();
  return [
    r,
    {
      wallS,
      serverCpuPct: (cpuMs(srv.pid) - s0) / 10 / wallS,
      serverRssMb: rssMb(srv.pid),
      // a reader restarted during the window counts from 0
      readersCpuPct: Math.max(0, cpuMsOf(readers()) - r0) / 10 / wallS,
      // chromium processes that started during the window count from 0
      chromiumCpuPct: Math.max(0, cpuMsOf(pids) - b0) / 10 / wallS,
      chromiumPssMb: pssMbOf(pids),
      generatorCpuPct: g / 10 / wallS,
      ...lat,
    },
  ];
}

const ms = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(0));
const showMachine = (m: Machine) =>
  `server CPU ${m.serverCpuPct.toFixed(0)}% RSS ${m.serverRssMb.toFixed(0)} MB; track readers CPU ${m.readersCpuPct.toFixed(0)}%; chromium CPU ${m.chromiumCpuPct.toFixed(0)}% PSS ${m.chromiumPssMb.toFixed(0)} MB; load generator CPU ${m.generatorCpuPct.toFixed(0)}% (nice ${FLEET_NICE}); ` +
  `${m.acked} records acked (${(m.acked / m.wallS).toFixed(0)}/s), fix->ack p50 ${ms(m.p50)} ms p99 ${ms(m.p99)} ms; load avg ${loadavg()[0]!.toFixed(1)}`;
const showPage = (w: PageWindow) =>
  `frames ${w.frames.n} (${(w.frames.n / w.wallS).toFixed(0)}/s), interval p50 ${w.frames.p50.toFixed(1)} ms p99 ${w.frames.p99.toFixed(1)} ms max ${w.frames.max.toFixed(0)} ms; ` +
  `long tasks ${w.longTasks.n}, ${w.longTasks.totalMs.toFixed(0)} ms in all; main thread busy ${w.busyPct.toFixed(0)}% (script ${w.scriptPct.toFixed(0)}%); ` +
  `JS heap ${w.heap.startGc.toFixed(1)} MB after GC at the start, ${w.heap.end.toFixed(1)} MB at the end, ${w.heap.endGc.toFixed(1)} MB after GC (${w.heap.endGc - w.heap.startGc >= 0 ? '+' : ''}${(w.heap.endGc - w.heap.startGc).toFixed(1)} MB); ` +
  `DOM nodes after GC ${w.domNodes.start} -> ${w.domNodes.end}; the page lists ${w.fleet.vehicles} vehicles, ${w.fleet.online} online, received ${w.fleet.events} live events (${(w.fleet.events / w.wallS).toFixed(0)}/s)`;

interface PagePhase {
  page: PageWindow;
  machine: Machine;
  draw: DayDraw;
  drawMachine: Machine;
  /** Live events the page received while it drew, and whether its feed was still open after. */
  drawEvents: number;
  liveState: string;
}

/**
 * Waits (5 s at least, 60 s at most) until the fleet's last 2 s acked records at 95 % of
 * its rate of one per vehicle a second with a fix->ack p99 under 1 s.
 */
async function steady(g: FleetProc): Promise<{ s: number; rate: number; p99: number; steady: boolean }> {
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  for (;;) {
    await g.take();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const l = await g.take();
    const rate = l.acked / ((performance.now() - t) / 1000);
    const s = (performance.now() - t0) / 1000;
    const ok = rate >= 0.95 * VEHICLES && l.p99 < 1000;
    if (ok || s > 60) return { s, rate, p99: l.p99, steady: ok };
  }
}

/** A fresh page on the fleet map: settles, one measurement window, then RUNS draws of the day. */
async function pagePhase(label: string, b: HeadlessBrowser, srv: ServerProc, fleet: FleetProc, base: string, token: string, profileTo?: string): Promise<PagePhase> {
  const c = await openFleetMap(b, base, token, DAY_VEHICLE);
  try {
    await new Promise((r) => setTimeout(r, 5000)); // settle: the list, the markers, the first flushes
    const [page, machine] = await watch(srv, fleet, () => measureWindow(c, WINDOW_S * 1000, profileTo));
    console.log(`${label}, page on the fleet map ${page.wallS.toFixed(1)} s: ${showPage(page)}`);
    console.log(`${label}, machine meanwhile: ${showMachine(machine)}`);
    const e0 = (await fleetStats(c.page)).events;
    const [runs, drawMachine] = await watch(srv, fleet, async () => {
      const rs: DayDraw[] = [];
      for (let r = 0; r < RUNS; r++) rs.push(await drawDay(c.page, DAY_VEHICLE, r === 0));
      return rs;
    });
    const drawEvents = (await fleetStats(c.page)).events - e0;
    const liveState = (await c.page.textContent('#live-state')) ?? '';
    const m = (k: keyof DayDraw) => median(runs.map((d) => d[k]));
    const draw = Object.fromEntries((Object.keys(runs[0]!) as (keyof DayDraw)[]).map((k) => [k, m(k)])) as unknown as DayDraw;
    console.log(
      `${label}, one day drawn (${DAY_RECORDS.toLocaleString('en')} points, median of ${RUNS}): ${draw.wall.toFixed(0)} ms from the harness's click, ${draw.event.toFixed(0)} ms from the click event in the page (click to request ${draw.toRequest.toFixed(0)} ms, requests to drawn ${draw.own.toFixed(0)} ms, after the responses ${draw.after.toFixed(0)} ms, painted ${draw.toPaint.toFixed(0)} ms after; the track's first byte at ${draw.firstByte.toFixed(0)} ms, its last at ${draw.lastByte.toFixed(0)} ms; every field in at ${draw.detail.toFixed(0)} ms by the page's count, meanwhile ${draw.longTasks} tasks over 50 ms, the longest ${draw.longestTask.toFixed(0)} ms; target under 1000 ms); ` +
        `${drawEvents} live events received meanwhile, feed "${liveState}"; machine meanwhile: ${showMachine(drawMachine)}`,
    );
    if (c.errors.length) throw new Error(`page errors: ${c.errors.join('; ')}`);
    return { page, machine, draw, drawMachine, drawEvents, liveState };
  } finally {
    await c.page.close();
  }
}

const x = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `x${(a / b).toFixed(2)}` : 'x-');

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine skews these numbers); ${VEHICLES} vehicles, windows of ${WINDOW_S} s`);
  const fleet = await makeFleet([DAY_VEHICLE], 'gs-bench-live-');
  let srv: ServerProc | null = null;
  let b: HeadlessBrowser | null = null;
  let gen: FleetProc | null = null;
  try {
    const { srv: s, base, token } = await startDayServer(fleet, DAY_VEHICLE);
    srv = s;
    const day = JSON.parse((await get(`${base}/api/v1/vehicles/${DAY_VEHICLE}`, token)).text) as VehicleDocument;
    gen = await startFleetProcess({ ca: fleet.ca, port: s.port, vehicles: VEHICLES, ramp: RAMP }, FLEET_NICE);
    const g = gen;
    console.log(`fleet (process ${g.pid}, nice ${FLEET_NICE}): ${VEHICLES} certificates issued in ${g.started.certS.toFixed(1)} s, vehicles online in ${g.started.onlineS.toFixed(1)} s (${g.started.engine}); load avg ${loadavg()[0]!.toFixed(1)}`);
    b = await launchChromium();

    const idle = await pagePhase('1 idle fleet', b, s, g, base, token);

    g.drive(day.latest!.lat!, day.latest!.lon!);
    // settle: the measurements are of the steady state, not of the burst of every vehicle starting at once
    const settle = await steady(g);
    console.log(`streaming steady after ${settle.s.toFixed(0)} s (the last 2 s: ${settle.rate.toFixed(0)} records acked a second, fix->ack p99 ${ms(settle.p99)} ms)${settle.steady ? '' : '; NOT steady within 60 s, measured anyway'}`);
    const [, ingest] = await watch(s, g, () => new Promise((r) => setTimeout(r, WINDOW_S * 1000)));
    console.log(`2 streaming, no page, ${ingest.wallS.toFixed(1)} s: ${showMachine(ingest)}`);

    const live = await pagePhase('3 streaming', b, s, g, base, token, PROFILE);

    const [i, l] = [idle.page, live.page];
    console.log(
      `summary, page live (${VEHICLES} vehicles at 1 Hz) / page with the fleet idle: frame p50 ${x(l.frames.p50, i.frames.p50)} (${l.frames.p50.toFixed(1)} vs ${i.frames.p50.toFixed(1)} ms), ` +
        `p99 ${x(l.frames.p99, i.frames.p99)} (${l.frames.p99.toFixed(1)} vs ${i.frames.p99.toFixed(1)} ms; target under 50 ms: ${l.frames.p99 < 50 ? 'MET' : 'NOT MET'}), ` +
        `long tasks ${l.longTasks.n} vs ${i.longTasks.n} (${l.longTasks.totalMs.toFixed(0)} vs ${i.longTasks.totalMs.toFixed(0)} ms), main thread busy ${l.busyPct.toFixed(0)}% vs ${i.busyPct.toFixed(0)}%, ` +
        `JS heap after GC ${x(l.heap.endGc, i.heap.endGc)} (${l.heap.endGc.toFixed(1)} vs ${i.heap.endGc.toFixed(1)} MB; over the live window ${(l.heap.endGc - l.heap.startGc).toFixed(1)} MB), ` +
        `chromium PSS ${x(live.machine.chromiumPssMb, idle.machine.chromiumPssMb)}, chromium CPU ${live.machine.chromiumCpuPct.toFixed(0)}% vs ${idle.machine.chromiumCpuPct.toFixed(0)}%`,
    );
    console.log(
      `summary, day drawn while live / with the fleet idle, from the click event in the page: ${x(live.draw.event, idle.draw.event)} (${live.draw.event.toFixed(0)} vs ${idle.draw.event.toFixed(0)} ms; target under 1000 ms: ${live.draw.event < 1000 ? 'MET' : 'NOT MET'}); ` +
        `from the harness's click ${x(live.draw.wall, idle.draw.wall)} (${live.draw.wall.toFixed(0)} vs ${idle.draw.wall.toFixed(0)} ms; ${live.draw.wall < 1000 ? 'under' : 'over'} 1000 ms); ` +
        `after the responses ${x(live.draw.after, idle.draw.after)} (${live.draw.after.toFixed(0)} vs ${idle.draw.after.toFixed(0)} ms)`,
    );
    console.log(
      `summary, ingest with the live page / without: fix->ack p99 ${x(live.machine.p99, ingest.p99)} (${ms(live.machine.p99)} vs ${ms(ingest.p99)} ms; while the day is drawn ${ms(live.drawMachine.p99)} ms), ` +
        `records acked per second ${x(live.machine.acked / live.machine.wallS, ingest.acked / ingest.wallS)}, server CPU ${x(live.machine.serverCpuPct, ingest.serverCpuPct)} (${live.machine.serverCpuPct.toFixed(0)}% vs ${ingest.serverCpuPct.toFixed(0)}%), ` +
        `server RSS ${live.machine.serverRssMb.toFixed(0)} vs ${ingest.serverRssMb.toFixed(0)} MB; the machine: server ${live.machine.serverCpuPct.toFixed(0)}% + readers ${live.machine.readersCpuPct.toFixed(0)}% + chromium ${live.machine.chromiumCpuPct.toFixed(0)}% + load generator ${live.machine.generatorCpuPct.toFixed(0)}% of ${cpus().length * 100}%; load avg ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await b?.close();
    await gen?.park();
    await srv?.stop();
    fleet.cleanup();
  }
}

runBench(main);
