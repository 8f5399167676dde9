/**
 * Packaged executables (make package-x64 / package-arm64): size raw and xz against the
 * stripped Node binary they embed, start-up (x64 natively, arm64 under qemu) against
 * plain Node starting in the same run, and the running agent: on the simulated board with
 * a 10 Hz receiver, streaming to an ingest server (the x64 executable) on loopback, as
 * systemd runs it (the Environment= of packaging/geostream.service, NODE_OPTIONS included)
 * and without the unit's options. For each: ms from start to the first record taken and
 * to the first record the server stored, and resident memory: steady (median VmRSS over
 * the last 10 s) and peak (VmHWM), against idle plain Node measured the same way.
 * Executables are read cold from disk (see coldCopy).
 * Targets (issue 8): arm64 xz <= 30 MB, x64 first record sent <= 1 s, agent RSS <= 80 MB.
 * Builds the executables first when they are missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExe, type Arch } from '../helpers/exe.js';
import Database from 'better-sqlite3';
import { repoRoot } from '../helpers/shared.js';
import { unitEnvironment } from '../helpers/unit-env.js';

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

/**
 * Runs the agent (a cold copy of `exe`) on the sim board with a 10 Hz receiver, streaming
 * to `server`, for `ms`: the agent as it runs on a vehicle. `env` is added to the process
 * environment (the unit's, when measuring the agent as systemd runs it).
 */
async function agentRun(arch: Arch, exe: string, vehicle: string, server: Server, env: Record<string, string>, ms: number): Promise<AgentResult> {
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
  const child = spawn('bash', [runArch, arch, cold, 'run', '--config', config, '--rate', '10'], { env: { ...process.env, ...env } });
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
    mem = await sampleMemory(child.pid!, ms, 10_000);
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
  const server = await startServer(exes.x64, ['TRUCK-BENCH-UNIT', 'TRUCK-BENCH-BARE', 'TRUCK-BENCH-ARM']);
  try {
    const runMs = 30_000;
    const what = `sim board, 10 Hz receiver, streaming to an ingest server on loopback, ${runMs / 1000} s, executable read cold from disk`;
    const report = (label: string, r: AgentResult, target: boolean) => {
      console.log(`agent linux-x64 ${label}: first record taken ${fmt(r.firstTakenMs, 0)} ms, first record stored by the server ${fmt(r.firstStoredMs, 0)} ms after start${target ? ` (<= 1000 ms ${targetMet(r.firstStoredMs <= 1000)})` : ''}; ${r.stored} records stored (a record is sent once the spool made it durable: spool.commitIntervalMs, 1000 ms by default, is in the second figure)`);
      const ratio = (x: number, base: number) => `${fmt(x / base, 2)}x idle node`;
      const verdict = target ? `: <= 80 MB ${r.steady <= 80 * MB && r.peak <= 80 * MB ? 'meets target (steady and peak)' : r.steady <= 80 * MB ? 'MISSES target at its peak (steady meets it)' : 'MISSES target'}` : '';
      console.log(`agent linux-x64 ${label}: RSS steady ${mb(r.steady)} MB (${ratio(r.steady, idle.steady)}), peak ${mb(r.peak)} MB (${ratio(r.peak, idle.peak)}); anon ${mb(r.anon)} MB, file-backed ${mb(r.file)} MB${verdict}`);
    };
    console.log(`agent runs: ${what}`);
    const unit = await agentRun('x64', exes.x64, 'TRUCK-BENCH-UNIT', server, asUnit, runMs);
    report(`as systemd runs it (packaging/geostream.service: ${Object.entries(unitEnv).filter(([k]) => k === 'NODE_OPTIONS').map(([k, v]) => `${k}="${v}"`).join(' ') || 'no NODE_OPTIONS'})`, unit, true);
    const plain = await agentRun('x64', exes.x64, 'TRUCK-BENCH-BARE', server, bare, runMs);
    report('without the unit\'s options (geostream run by hand)', plain, false);
    const a = await agentRun('arm64', exes.arm64, 'TRUCK-BENCH-ARM', server, asUnit, 20_000);
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
