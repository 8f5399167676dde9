/**
 * Packaged executables (make package-x64 / package-arm64): size raw and xz against the
 * stripped Node binary they embed, start-up (x64 natively, arm64 under qemu) against
 * plain Node starting in the same run, time from start to the first record the agent
 * takes on the simulated board (its NMEA flows from the first millisecond), and the
 * running agent's resident memory against plain Node's.
 * Targets (issue 8): arm64 xz <= 30 MB, x64 first record <= 1 s, agent RSS <= 80 MB.
 * Builds the executables first when they are missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExe, type Arch } from '../helpers/exe.js';
import { repoRoot } from '../helpers/shared.js';

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

/** Runs the agent on the sim board: ms to its first taken record, and VmHWM/VmRSS after `runMs`. */
async function agentRun(arch: Arch, exe: string, args: string[], runMs: number): Promise<{ firstMs: number; rssMb: number; hwmMb: number }> {
  const config = join(work, 'config.json');
  writeFileSync(config, JSON.stringify({ vehicle: { id: 'TRUCK-BENCH' }, board: 'sim', spool: { dir: join(work, 'spool') } }));
  const t0 = performance.now();
  const child = spawn('bash', [runArch, arch, exe, ...args, 'run', '--config', config], { env: { ...process.env, PKG_NATIVE_CACHE_PATH: join(work, 'cache') } });
  let firstMs = NaN;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += String(d);
    if (Number.isNaN(firstMs) && /\[(first|period|time|distance|heading|speed)[^\]]*\]/.test(out)) firstMs = performance.now() - t0;
  });
  child.stderr.on('data', (d: Buffer) => (out += String(d)));
  await new Promise((r) => setTimeout(r, runMs));
  // The process exec'd by run-arch.sh (bash exec): same pid.
  const status = existsSync(`/proc/${child.pid}/status`) ? readFileSync(`/proc/${child.pid}/status`, 'utf8') : '';
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
  if (Number.isNaN(firstMs)) throw new Error(`no record taken in ${runMs} ms:\n${out.slice(-2000)}`);
  return { firstMs, rssMb: (kb('VmRSS') * 1024) / MB, hwmMb: (kb('VmHWM') * 1024) / MB };
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const target = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

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
    console.log(`size linux-${arch}: ${fmt(raw / MB)} MB raw (${fmt(raw / nodeRaw, 2)}x node), ${fmt(xz / MB)} MB xz (${fmt(xz / nodeXz, 2)}x node's ${fmt(nodeXz / MB)} MB)${arch === 'arm64' ? `: <= 30 MB ${target(xz <= 30 * MB)}` : ''}`);
  }
  for (const arch of ['x64', 'arm64'] as Arch[]) {
    const n = arch === 'x64' ? 7 : 3;
    const node = join(cache, 'node', `v${NODE_VERSION}-linux-${arch}`, 'bin', 'node');
    const base = startup(arch, node, ['-e', '0'], n);
    const exe = startup(arch, exes[arch], ['version'], n);
    console.log(`start-up linux-${arch}${arch === 'arm64' ? ' (qemu)' : ''}: geostream version ${fmt(exe, 0)} ms, plain node -e 0 ${fmt(base, 0)} ms (${fmt(exe / base, 2)}x)`);
  }
  const nodeX64 = join(cache, 'node', `v${NODE_VERSION}-linux-x64`, 'bin', 'node');
  const idle = spawn(nodeX64, ['-e', 'setTimeout(() => {}, 60000)']);
  await new Promise((r) => setTimeout(r, 1500));
  const idleRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${idle.pid}/status`, 'utf8'))![1]) * 1024;
  idle.kill();
  const x = await agentRun('x64', exes.x64, [], 8000);
  console.log(`agent linux-x64 on the sim board: first record taken ${fmt(x.firstMs, 0)} ms after start (<= 1000 ms ${target(x.firstMs <= 1000)})`);
  console.log(`agent linux-x64 RSS after 8 s: ${fmt(x.rssMb)} MB, peak ${fmt(x.hwmMb)} MB (${fmt((x.hwmMb * MB) / idleRss, 2)}x idle plain node's ${fmt(idleRss / MB)} MB): <= 80 MB ${target(x.hwmMb <= 80)}`);
  const a = await agentRun('arm64', exes.arm64, [], 20000);
  console.log(`agent linux-arm64 under qemu: first record taken ${fmt(a.firstMs, 0)} ms after start (qemu's RSS ${fmt(a.hwmMb)} MB includes its translator: not the Pi's)`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
