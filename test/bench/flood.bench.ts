/**
 * The ingest server (`geostream server`, ngtcp2 engine, a child process) under a junk
 * flood while a fleet streams: GS_BENCH_FLOOD_VEHICLES vehicles (1000) at 1 Hz, each its
 * own QUIC connection and certificate, measured for GS_BENCH_STEP_S seconds (20) without
 * a flood (the baseline, same run, same fleet), then for as long again while another
 * process sends GS_BENCH_FLOOD_RATE junk datagrams per second (10000: tiny and garbage
 * Initials, stray Handshakes, version bait, random datagrams). Printed: the vehicles'
 * fix->ack p50/p99 and records acked, the server's CPU and RSS, for both, with ratios;
 * the server's RSS 5 s after the flood; bytes the flood got back.
 * The machine is shared: the load average is printed.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { drive, grow, parkAll, pct, socketDrops, type Vehicle } from '../support/bench-fleet.js';
import { makeFleet } from '../support/link-fixture.js';
import { cpuMs, rssMb } from '../support/quic-junk.js';
import { startServerProcess } from '../support/server-proc.js';
import { repoRoot } from '../support/shared.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine } from '../../src/quic/engines.js';
import { issueCert } from '../../src/tls/ca.js';
import { deviceTls } from '../../src/tls/material.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { codecBatchPacker } from '../../src/telemetry/record-codec.js';
import { runBench } from '../support/bench-main.js';

const VEHICLES = Number(process.env.GS_BENCH_FLOOD_VEHICLES ?? 1000);
const RATE = Number(process.env.GS_BENCH_FLOOD_RATE ?? 10_000);
const STEP_S = Number(process.env.GS_BENCH_STEP_S ?? 20);
const RAMP = 250;

interface Window {
  wallS: number;
  acked: number;
  p50: number;
  p99: number;
  cpuPct: number;
  selfCpuPct: number;
  rssStart: number;
  rssEnd: number;
  /** Datagrams the kernel dropped on the server's socket (receive buffer full). */
  drops: number;
}

interface FloodResult {
  datagrams: number;
  bytes: number;
  back: number;
  rate: number;
  cpuPct: number;
}

/** Measures the fleet from now until `until` resolves. */
async function measure(vs: Vehicle[], pid: number, port: number, until: Promise<unknown>): Promise<Window> {
  for (const v of vs) v.spool.latencies = [];
  const d0 = socketDrops(port);
  const rssStart = rssMb(pid);
  const c0 = cpuMs(pid);
  const m0 = process.cpuUsage();
  const t0 = performance.now();
  await until;
  const wallS = (performance.now() - t0) / 1000;
  const lat = vs.flatMap((v) => v.spool.latencies);
  const me = process.cpuUsage(m0);
  return {
    wallS,
    acked: lat.length,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    cpuPct: (cpuMs(pid) - c0) / 10 / wallS,
    selfCpuPct: (me.user + me.system) / 1e4 / wallS,
    rssStart,
    rssEnd: rssMb(pid),
    drops: socketDrops(port) - d0,
  };
}

/** Starts the junk flooder in its own process: `started` once it sends, `done` with what it printed. */
function flood(port: number): { started: Promise<void>; done: Promise<FloodResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/junk-flooder.ts'), String(port), String(RATE), String(STEP_S)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let began: () => void = () => {};
  const started = new Promise<void>((r) => (began = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('flooding\n')) began();
  });
  const done = new Promise<FloodResult>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('flooding\n'.length)) as FloodResult) : reject(new Error(`junk flooder exited ${code}`))));
  });
  return { started, done };
}

const show = (w: Window) =>
  `${w.acked} records acked in ${w.wallS.toFixed(1)} s (${(w.acked / w.wallS).toFixed(0)}/s of ${VEHICLES}/s), fix->ack p50 ${w.p50.toFixed(1)} ms p99 ${w.p99.toFixed(1)} ms; ` +
  `server CPU ${w.cpuPct.toFixed(0)}%, RSS ${w.rssStart.toFixed(0)} -> ${w.rssEnd.toFixed(0)} MB, ${w.drops} datagrams dropped on its socket; vehicles' process CPU ${w.selfCpuPct.toFixed(0)}%`;

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine skews these numbers)`);
  const fleet = await makeFleet(['bench-0'], 'gs-flood-bench-');
  const srv = await startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'flood.db'), engine: 'ngtcp2' });
  const vs: Vehicle[] = [];
  try {
    const online = await grow(
      vs,
      VEHICLES,
      async (i, spool) => {
        await issueCert(fleet.ca, { kind: 'device', vehicleId: `veh-${i}` });
        return new DeviceLink({ engine: createEngine('ngtcp2'), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, `veh-${i}`), clock: systemClock, log: silentLogger(), device: `veh-${i}`, packer: codecBatchPacker });
      },
      RAMP,
    );
    if (!online) throw new Error(`the fleet of ${VEHICLES} did not come online`);
    drive(vs);
    await new Promise((r) => setTimeout(r, 3000)); // settle
    const quiet = await measure(vs, srv.pid, srv.port, new Promise((r) => setTimeout(r, STEP_S * 1000)));
    console.log(`no flood:           ${show(quiet)}`);
    const f = flood(srv.port);
    await f.started;
    let junk: FloodResult = { datagrams: 0, bytes: 0, back: 0, rate: 0, cpuPct: 0 };
    const flooded = await measure(vs, srv.pid, srv.port, f.done.then((j) => (junk = j)));
    console.log(`junk flood ${RATE}/s: ${show(flooded)}; the flooder's CPU ${junk.cpuPct.toFixed(0)}%`);
    await new Promise((r) => setTimeout(r, 5000));
    console.log(
      `flood: ${junk.datagrams} datagrams (${junk.rate.toFixed(0)}/s achieved), ${(junk.bytes / 2 ** 20).toFixed(1)} MB sent, ${junk.back} B back (${((100 * junk.back) / Math.max(1, junk.bytes)).toFixed(2)}%); ` +
        `server RSS 5 s after it ${rssMb(srv.pid).toFixed(0)} MB`,
    );
    console.log(
      `summary: under a ${RATE}/s junk flood with ${VEHICLES} vehicles: p99 x${(flooded.p99 / quiet.p99).toFixed(2)} of no flood (${flooded.p99.toFixed(0)} vs ${quiet.p99.toFixed(0)} ms; target < 250 ms: ${flooded.p99 < 250 ? 'MET' : 'NOT MET'}), ` +
        `records acked per second x${(flooded.acked / flooded.wallS / Math.max(1, quiet.acked / quiet.wallS)).toFixed(3)}, server CPU x${(flooded.cpuPct / Math.max(1, quiet.cpuPct)).toFixed(2)}, RSS ${(flooded.rssEnd - quiet.rssEnd).toFixed(1)} MB more; load avg ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await parkAll(vs);
    await srv.stop();
    fleet.cleanup();
  }
}

runBench(main);
