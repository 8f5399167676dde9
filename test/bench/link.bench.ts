/**
 * geostream/1.0 end to end: device link (this process) -> QUIC on loopback ->
 * `geostream server` (a child process) -> SQLite (WAL, synchronous=FULL).
 *
 * 1. Records/s, batched: a spool of N records (48-byte payloads, the size of a
 *    codec record) drained to the server until the last ACK. Baseline measured in
 *    the same run: the same DeviceLink, Session and Store in one process over an
 *    in-memory transport (no QUIC, no TLS, no UDP).
 * 2. Vehicles at 1 Hz: steps of N simulated vehicles, each its own QUIC connection
 *    and certificate, one record per second; p50/p99 time from the fix (append)
 *    to its ACK at the device (an upper bound of fix-to-commit). Server CPU and RSS
 *    from /proc.
 * Targets: >= 20k records/s; >= 1,000 vehicles with p99 < 250 ms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFleet } from '../helpers/link-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { MemSpool } from '../helpers/mem-spool.js';
import { MemNet } from '../helpers/mem-engine.js';
import { startServerProcess } from '../helpers/server-proc.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine } from '../../src/link/quic/engines.js';
import { issueCert } from '../../src/link/tls/ca.js';
import { deviceTls } from '../../src/link/tls/material.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/util/clock.js';

const N = Number(process.env.GS_BENCH_RECORDS ?? 100_000);
const STEPS = (process.env.GS_BENCH_VEHICLES ?? '100,250,500,1000,1500').split(',').map(Number);
const STEP_S = Number(process.env.GS_BENCH_STEP_S ?? 20);
const engineName = (process.env.GS_ENGINE ?? 'matrixai') as 'matrixai';

const TICK = 100; // /proc clock ticks per second on Linux
function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / TICK;
}
function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
/** UDP datagrams the kernel dropped for a full socket receive buffer (system-wide). */
function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const keys = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return Number(vals[keys.indexOf('RcvbufErrors')]);
}
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** A MemSpool that timestamps appends and measures append-to-ack latency. */
class TimedSpool extends MemSpool {
  private t = new Map<number, number>();
  latencies: number[] = [];
  record = true;
  override append(payload: Uint8Array, timeMs: number): number {
    const seq = super.append(payload, timeMs);
    this.t.set(seq, performance.now());
    return seq;
  }
  override ack(seq: number): void {
    const now = performance.now();
    for (let s = this.ackedSeq + 1; s <= seq; s++) {
      const a = this.t.get(s);
      if (a !== undefined && this.record) this.latencies.push(now - a);
      this.t.delete(s);
    }
    super.ack(seq);
  }
}

function fill(spool: MemSpool, n: number): void {
  const p = new Uint8Array(Number(process.env.GS_BENCH_RECORD_BYTES ?? 48));
  for (let i = 0; i < n; i++) {
    p[0] = i & 0xff;
    spool.append(p.slice(), 1_600_000_000_000 + i * 1000);
  }
}

async function drain(link: DeviceLink, spool: MemSpool): Promise<number> {
  const t0 = performance.now();
  link.start();
  await waitFor(() => spool.ackedSeq === spool.headSeq, 300_000, 'all records acked');
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const fleet = await makeFleet(['bench-0'], 'gs-link-bench-');
  try {
    // ---- 1a. baseline: in-memory transport, same shells and store, one process
    {
      const net = new MemNet();
      const store = Store.open(join(fleet.dir, 'baseline.db'));
      const server = new IngestServer({ engine: net.engine(), store, host: 'mem', port: 1, tls: { cert: 's', key: 'k', ca: 'c' }, log: silentLogger(), identify: (d) => new TextDecoder().decode(d) });
      await server.start();
      const spool = new MemSpool();
      fill(spool, N);
      const link = new DeviceLink({ engine: net.engine(), spool, server: { host: 'mem', port: 1 }, tls: { cert: 'bench-0', key: 'k', ca: 'c' }, clock: systemClock, log: silentLogger(), device: 'bench-0' });
      const s = await drain(link, spool);
      await link.stop();
      await server.stop();
      store.close();
      var baseline = N / s; // eslint-disable-line no-var
      console.log(`baseline (in-memory transport, same process): ${N} records in ${s.toFixed(2)} s = ${Math.round(baseline)} records/s`);
    }
    // ---- 1b. real: QUIC on loopback to a server process
    const srv = await startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'bench.db'), engine: engineName, ...{} });
    process.env.GEOSTREAM_LOG_LEVEL = 'warn';
    try {
      const spool = new MemSpool();
      fill(spool, N);
      const link = new DeviceLink({ engine: createEngine(engineName), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, 'bench-0'), clock: systemClock, log: silentLogger(), device: 'bench-0' });
      const cpu0 = procCpuMs(srv.pid);
      const me0 = process.cpuUsage();
      const s = await drain(link, spool);
      const cpu = (procCpuMs(srv.pid) - cpu0) / 10 / s;
      const me = process.cpuUsage(me0);
      await link.stop();
      const rate = N / s;
      console.log(
        `throughput (QUIC ${engineName}, loopback, server process): ${N} records in ${s.toFixed(2)} s = ${Math.round(rate)} records/s ` +
          `(x${(rate / baseline).toFixed(2)} of baseline; target 20000: ${rate >= 20_000 ? 'MET' : 'NOT MET'}); ` +
          `server CPU ${cpu.toFixed(0)}%, RSS ${procRssMb(srv.pid).toFixed(0)} MB; device CPU ${(((me.user + me.system) / 1000 / s) * 100 / 1000).toFixed(0)}%, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
      );

      // ---- 2. vehicles at 1 Hz
      const vehicles: { link: DeviceLink; spool: TimedSpool; timer: NodeJS.Timeout | null }[] = [];
      let best = 0;
      for (const n of STEPS) {
        const t0 = performance.now();
        for (let i = vehicles.length; i < n; i++) {
          const id = `veh-${i}`;
          await issueCert(fleet.ca, { kind: 'device', vehicleId: id });
          const spool = new TimedSpool(`${(0x10000000 + i).toString(16)}aa`);
          const link = new DeviceLink({ engine: createEngine(engineName), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, id), clock: systemClock, log: silentLogger(), device: id });
          link.start();
          vehicles.push({ link, spool, timer: null });
        }
        await waitFor(() => vehicles.every((v) => v.link.state === 'online'), 120_000, `${n} vehicles online`);
        const setup = (performance.now() - t0) / 1000;
        for (const v of vehicles) {
          v.spool.latencies = [];
          if (v.timer) continue;
          const start = Math.random() * 1000;
          setTimeout(() => {
            const tick = () => {
              v.spool.append(new Uint8Array(48), Date.now());
              v.link.notify();
            };
            tick();
            v.timer = setInterval(tick, 1000);
          }, start);
        }
        await new Promise((r) => setTimeout(r, 2000)); // settle
        for (const v of vehicles) v.spool.latencies = [];
        const c0 = procCpuMs(srv.pid);
        const d0 = udpRcvbufErrors();
        const w0 = performance.now();
        const m0 = process.cpuUsage();
        await new Promise((r) => setTimeout(r, STEP_S * 1000));
        const wall = (performance.now() - w0) / 1000;
        const lat = vehicles.flatMap((v) => v.spool.latencies);
        const m = process.cpuUsage(m0);
        const expected = n * STEP_S;
        const p99 = pct(lat, 99);
        console.log(
          `${String(n).padStart(5)} vehicles at 1 Hz: ${lat.length} records acked in ${wall.toFixed(0)} s (expected ~${expected}), fix->ack p50 ${pct(lat, 50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${Math.max(...lat).toFixed(0)} ms; ` +
            `server CPU ${((procCpuMs(srv.pid) - c0) / 10 / wall).toFixed(0)}% RSS ${procRssMb(srv.pid).toFixed(0)} MB; load generator CPU ${(((m.user + m.system) / 1000 / wall) * 100 / 1000).toFixed(0)}% RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB; connect ${setup.toFixed(1)} s; UDP datagrams dropped (receive buffer full) ${udpRcvbufErrors() - d0}`,
        );
        const out = srv.output();
        console.log(`      server log so far: ${(out.match(/ connected from /g) ?? []).length} connects, ${(out.match(/ disconnected /g) ?? []).length} disconnects, ${(out.match(/refused/g) ?? []).length} refusals`);
        if (p99 < 250 && lat.length >= expected * 0.9) best = n;
        else break;
      }
      console.log(`vehicles held with p99 fix->ack < 250 ms: ${best} (x${(best / 1000).toFixed(2)} of the 1,000 target: ${best >= 1000 ? 'MET' : 'NOT MET'})`);
      for (const v of vehicles) if (v.timer) clearInterval(v.timer);
      await Promise.all(vehicles.map((v) => v.link.stop()));
    } finally {
      await srv.stop();
    }
  } finally {
    fleet.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
