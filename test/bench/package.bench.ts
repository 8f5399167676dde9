/**
 * Packaged executables (make package-x64 / package-arm64): size raw and xz against the
 * stripped Node binary they embed, start-up (x64 natively, arm64 under qemu) against
 * plain Node starting in the same run, and the running agent: on the simulated board with
 * a 10 Hz receiver, streaming to an ingest server (the x64 executable) on loopback, as
 * systemd runs it (the Environment= of packaging/geostream.service, NODE_OPTIONS included)
 * and without the unit's options. For each: ms from start to the first record taken and
 * to the first record the server stored (20 s in real time), and resident memory over a
 * 6 min replay of an hour of driving (GS_BENCH_LONG_S): steady (median VmRSS over the
 * last minute) and peak (VmHWM), against idle plain Node measured the same way.
 * Executables are read cold from disk (see coldCopy).
 * Targets: arm64 xz <= 30 MB, x64 first record sent <= 1 s, agent RSS <= 80 MB.
 * Builds the executables first when they are missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExe, type Arch } from '../support/exe.js';
import Database from 'better-sqlite3';
import { repoRoot } from '../support/shared.js';
import { unitEnvironment } from '../support/unit-env.js';
import { spoolDefaults } from '../../src/spool/options.js';

const NODE_VERSION = /NODE_VERSION = '([\d.]+)'/.exec(readFileSync(join(repoRoot, 'scripts', 'package', 'config.mjs'), 'utf8'))![1]!;
const cache = process.env.GEOSTREAM_CACHE ?? join(homedir(), '.cache', 'geostream');
const MB = 1e6;
const runArch = join(repoRoot, 'scripts', 'package', 'run-arch.sh');
const work = mkdtempSync(join(tmpdir(), 'gs-bench-pkg-'));

function xzBytes(file: string): number {
  const r = spawnSync('bash', ['-c', `xz -6 -T2 -c "${file}" | wc -c`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xz failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of `args` run to completion, median of n. */
function startup(arch: Arch, exe: string, args: string[], n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = spawnSync('bash', [runArch, arch, exe, ...args], { encoding: 'utf8', env: { ...process.env, PKG_NATIVE_CACHE_PATH: join(work, 'cache') } });
    if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')}: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * A copy of `file` in the work dir whose page cache is dropped (fdatasync, then
 * POSIX_FADV_DONTNEED through dd): the kernel reads it as from disk, as on a vehicle after
 * boot. The executable pkg has just written is in the page cache as written, and on this
 * kernel (ext4 with large folios) every fault then maps far more of it: the same file
 * measured 19 MB more file-backed RSS fresh from the build than read back from disk.
 */
function coldCopy(file: string, name: string): string {
  const dst = join(work, name);
  copyFileSync(file, dst);
  chmodSync(dst, 0o755);
  const r = spawnSync('dd', [`of=${dst}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dropping ${dst} from the page cache failed: ${r.stderr}`);
  return dst;
}

interface Mem {
  /** Median VmRSS over the last `steadyMs` of the run. */
  steady: number;
  /** VmHWM: the highest RSS the process ever had. */
  peak: number;
  anon: number;
  file: number;
}

function procStatus(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]!] = Number(m[2]) * 1024;
  return out;
}

/** Samples the RSS of `pid` every 250 ms for `ms`; steady = median of the last `steadyMs`. */
async function sampleMemory(pid: number, ms: number, steadyMs: number): Promise<Mem> {
  const samples: { t: number; rss: number }[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await new Promise((r) => setTimeout(r, 250));
    samples.push({ t: performance.now() - t0, rss: procStatus(pid).VmRSS ?? NaN });
  }
  const s = procStatus(pid);
  return { steady: median(samples.filter((x) => x.t >= ms - steadyMs).map((x) => x.rss)), peak: s.VmHWM!, anon: s.RssAnon!, file: s.RssFile! };
}

/** Plain Node doing nothing, read cold like the agent: the baseline of the RSS ratios. */
async function idleNode(node: string): Promise<Mem> {
  const child = spawn(coldCopy(node, 'node-idle'), ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    return await sampleMemory(child.pid!, 6000, 3000);
  } finally {
    child.kill();
  }
}

/** A CA, device certificates and an ingest server (the x64 executable) on loopback. */
async function startServer(exe: string, vehicles: string[]): Promise<{ port: number; ca: string; db: string; stop: () => Promise<void> }> {
  const ca = join(work, 'ca');
  const db = join(work, 'server.db');
  const geostream = (...args: string[]) => {
    const r = spawnSync(exe, args, { encoding: 'utf8', env: { ...process.env, PKG_NATIVE_CACHE_PATH: join(work, 'cache') } });
    if (r.status !== 0) throw new Error(`geostream ${args.join(' ')}: ${r.stderr}`);
  };
  geostream('ca', 'init', '--dir', ca);
  geostream('ca', 'issue', '--dir', ca, '--server', 'localhost', '--alt', '127.0.0.1');
  for (const v of vehicles) geostream('ca', 'issue', '--dir', ca, v);
  const child = spawn(exe, ['server', '--listen', '127.0.0.1:0', '--db', db, '--ca', ca], { env: { ...process.env, PKG_NATIVE_CACHE_PATH: join(work, 'cache') } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += String(d)));
  child.stderr.on('data', (d: Buffer) => (out += String(d)));
  const t0 = performance.now();
  while (!/listening on [^ ]+:\d+/.test(out)) {
    if (child.exitCode !== null || performance.now() - t0 > 20_000) throw new Error(`the ingest server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = Number(/listening on [^ ]+:(\d+)/.exec(out)![1]);
  const exited = new Promise((r) => child.on('exit', r));
  return { port, ca, db, stop: async () => (child.kill('SIGTERM'), void (await exited)) };
}

type Server = Awaited<ReturnType<typeof startServer>>;

interface AgentResult extends Mem {
  /** ms from start to the first record the agent took, and to the first one the server stored. */
  firstTakenMs: number;
  firstStoredMs: number;
  stored: number;
}

interface AgentRun {
  arch: Arch;
  exe: string;
  vehicle: string;
  /** Added to the process environment (the unit's, to measure the agent as systemd runs it). */
  env: Record<string, string>;
  ms: number;
  /** The sim board's time-lapse: 10 replays 10 minutes of driving per minute. */
  speed: number;
  /** RSS "steady" is the median over this last part of the run. */
  steadyMs: number;
}

/**
 * Runs the agent (a cold copy of `exe`) on the sim board with a 10 Hz receiver, streaming
 * to `server`: the agent as it runs on a vehicle.
 */
async function agentRun(server: Server, { arch, exe, vehicle, env, ms, speed, steadyMs }: AgentRun): Promise<AgentResult> {
  const config = join(work, `${vehicle}.json`);
  const devices = join(server.ca, 'devices');
  writeFileSync(config, JSON.stringify({
    vehicle: { id: vehicle },
    board: 'sim',
    spool: { dir: join(work, `spool-${vehicle}`) },
    server: { address: `127.0.0.1:${server.port}`, ca: join(server.ca, 'ca.pem'), cert: join(devices, `${vehicle}.pem`), key: join(devices, `${vehicle}.key`) },
  }));
  const cold = coldCopy(exe, `agent-${vehicle}`);
  const wallStart = Date.now();
  const t0 = performance.now();
  const child = spawn('bash', [runArch, arch, cold, 'run', '--config', config, '--rate', '10', '--speed', `${speed}x`], { env: { ...process.env, ...env } });
  let firstTakenMs = NaN;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += String(d);
    if (Number.isNaN(firstTakenMs) && /\[(first|period|time|distance|heading|speed)[^\]]*\]/.test(out)) firstTakenMs = performance.now() - t0;
  });
  child.stderr.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise((r) => child.on('exit', r));
  let mem: Mem;
  try {
    // run-arch.sh execs the executable (or qemu): same pid.
    mem = await sampleMemory(child.pid!, ms, steadyMs);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  if (Number.isNaN(firstTakenMs)) throw new Error(`${vehicle}: no record taken in ${ms} ms:\n${out.slice(-2000)}`);
  const db = new Database(server.db, { readonly: true });
  const row = db.prepare('SELECT count(*) AS n, min(received_ms) AS first FROM records WHERE device = ?').get(vehicle) as { n: number; first: number | null };
  db.close();
  if (!row.n || row.first === null) throw new Error(`${vehicle}: the server stored no record in ${ms} ms:\n${out.slice(-2000)}`);
  return { ...mem, firstTakenMs, firstStoredMs: row.first - wallStart, stored: row.n };
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const mb = (bytes: number) => fmt(bytes / MB);
const targetMet = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

async function main(): Promise<void> {
  const exes = {} as Record<Arch, string>;
  for (const arch of ['x64', 'arm64'] as Arch[]) {
    const exe = join(repoRoot, 'out', `geostream-linux-${arch}`);
    exes[arch] = existsSync(exe) ? exe : await buildExe(arch);
  }
  console.log(`executables from ${NODE_VERSION}; baseline: the stripped official Node ${NODE_VERSION} they embed`);
  for (const arch of ['x64', 'arm64'] as Arch[]) {
    const node = join(cache, 'node', `v${NODE_VERSION}-linux-${arch}`, 'bin', 'node-stripped');
    const raw = statSync(exes[arch]).size;
    const xz = xzBytes(exes[arch]);
    const nodeRaw = statSync(node).size;
    const nodeXz = xzBytes(node);
    console.log(`size linux-${arch}: ${fmt(raw / MB)} MB raw (${fmt(raw / nodeRaw, 2)}x node), ${fmt(xz / MB)} MB xz (${fmt(xz / nodeXz, 2)}x node's ${fmt(nodeXz / MB)} MB)${arch === 'arm64' ? `: <= 30 MB ${targetMet(xz <= 30 * MB)}` : ''}`);
  }
  for (const arch of ['x64', 'arm64'] as Arch[]) {
    const n = arch === 'x64' ? 7 : 3;
    const node = join(cache, 'node', `v${NODE_VERSION}-linux-${arch}`, 'bin', 'node');
    const base = startup(arch, node, ['-e', '0'], n);
    const exe = startup(arch, exes[arch], ['version'], n);
    console.log(`start-up linux-${arch}${arch === 'arm64' ? ' (qemu)' : ''}: geostream version ${fmt(exe, 0)} ms, plain node -e 0 ${fmt(base, 0)} ms (${fmt(exe / base, 2)}x)`);
  }
  const nodeX64 = join(cache, 'node', `v${NODE_VERSION}-linux-x64`, 'bin', 'node');
  const idle = await idleNode(nodeX64);
  console.log(`idle plain node ${NODE_VERSION} (linux-x64, read cold like the agent): RSS ${mb(idle.steady)} MB, peak ${mb(idle.peak)} MB`);
  const unitEnv = unitEnvironment();
  // The unit's paths do not exist here: the same variables, pointed into the work dir.
  const asUnit = { ...unitEnv, PKG_NATIVE_CACHE_PATH: join(work, 'cache'), GEOSTREAM_STATUS_SOCKET: join(work, 'status.sock') };
  const bare = { PKG_NATIVE_CACHE_PATH: join(work, 'cache'), GEOSTREAM_STATUS_SOCKET: join(work, 'status-bare.sock') };
  const vehicles = ['TRUCK-BENCH-UNIT', 'TRUCK-BENCH-BARE', 'TRUCK-BENCH-UNIT-LONG', 'TRUCK-BENCH-BARE-LONG', 'TRUCK-BENCH-ARM'];
  const server = await startServer(exes.x64, vehicles);
  const unitLabel = `as systemd runs it (packaging/geostream.service: ${unitEnv.NODE_OPTIONS ? `NODE_OPTIONS="${unitEnv.NODE_OPTIONS}"` : 'no NODE_OPTIONS'})`;
  const bareLabel = "without the unit's options (geostream run by hand)";
  try {
    console.log('agent runs: sim board, 10 Hz receiver, streaming to an ingest server on loopback, executable read cold from disk');
    // Start-up is CPU-bound: one agent at a time, in real time.
    const startMs = 20_000;
    for (const [label, vehicle, env] of [[unitLabel, 'TRUCK-BENCH-UNIT', asUnit], [bareLabel, 'TRUCK-BENCH-BARE', bare]] as const) {
      const r = await agentRun(server, { arch: 'x64', exe: exes.x64, vehicle, env, ms: startMs, speed: 1, steadyMs: 10_000 });
      const target = vehicle === 'TRUCK-BENCH-UNIT' ? ` (<= 1000 ms ${targetMet(r.firstStoredMs <= 1000)})` : '';
      console.log(`agent linux-x64 ${label}, ${startMs / 1000} s in real time: first record taken ${fmt(r.firstTakenMs, 0)} ms, first record stored by the server ${fmt(r.firstStoredMs, 0)} ms after start${target} (a record is sent once the spool made it durable: spool.commitIntervalMs, ${spoolDefaults.commitIntervalMs} ms by default, is in the second figure); RSS ${mb(r.steady)} MB, peak ${mb(r.peak)} MB`);
    }
    // Memory: V8 collects the old generation only every few MB of promoted garbage, which at
    // 10 Hz takes about 20 minutes of driving to reach its plateau: replay 10x faster, both
    // agents at once (RSS does not depend on CPU speed).
    const longMs = Number(process.env.GS_BENCH_LONG_S ?? 360) * 1000;
    const long = { arch: 'x64', exe: exes.x64, ms: longMs, speed: 10, steadyMs: 60_000 } as const;
    const [u, b] = await Promise.all([
      agentRun(server, { ...long, vehicle: 'TRUCK-BENCH-UNIT-LONG', env: asUnit }),
      agentRun(server, { ...long, vehicle: 'TRUCK-BENCH-BARE-LONG', env: bare }),
    ]);
    const ratio = (x: number, base: number) => `${fmt(x / base, 2)}x idle node`;
    for (const [label, r, target] of [[unitLabel, u, true], [bareLabel, b, false]] as const) {
      const verdict = target ? `: <= 80 MB ${r.steady <= 80 * MB && r.peak <= 80 * MB ? 'meets target (steady and peak)' : r.steady <= 80 * MB ? 'MISSES target at its peak (steady meets it)' : 'MISSES target'}` : '';
      console.log(`agent linux-x64 ${label}, ${longMs / 60_000} min replaying ${(longMs * 10) / 60_000} min of driving (${r.stored} records stored): RSS steady (median of the last minute) ${mb(r.steady)} MB (${ratio(r.steady, idle.steady)}), peak ${mb(r.peak)} MB (${ratio(r.peak, idle.peak)}); anon ${mb(r.anon)} MB, file-backed ${mb(r.file)} MB${verdict}`);
    }
    const a = await agentRun(server, { arch: 'arm64', exe: exes.arm64, vehicle: 'TRUCK-BENCH-ARM', env: asUnit, ms: 20_000, speed: 1, steadyMs: 10_000 });
    console.log(`agent linux-arm64 under qemu, as systemd runs it: first record taken ${fmt(a.firstTakenMs, 0)} ms, first stored by the server ${fmt(a.firstStoredMs, 0)} ms after start (qemu's RSS ${mb(a.peak)} MB includes its translator: not the Pi's)`);
  } finally {
    await server.stop();
  }
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
