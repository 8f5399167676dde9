import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export type Arch = 'x64' | 'arm64';

export interface ExeResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function exec(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExeResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Builds out/<name>-linux-<arch> (the real make package-<arch> path: scripts/package/build.mjs). */
export async function buildExe(arch: Arch, entry?: string, name?: string): Promise<string> {
  const args = [join(repoRoot, 'scripts', 'package', 'build.mjs'), arch, ...(entry ? [entry, name ?? 'test'] : [])];
  const r = await exec(process.execPath, args, { timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`build.mjs ${arch} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return join(repoRoot, 'out', `${entry ? (name ?? 'test') : 'geostream'}-linux-${arch}`);
}

/** Runs an executable for `arch` here (arm64 under qemu, through scripts/package/run-arch.sh). */
export function runExe(arch: Arch, exe: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExeResult> {
  return exec('bash', [join(repoRoot, 'scripts', 'package', 'run-arch.sh'), arch, exe, ...args], opts);
}

/** Runs a repository script (bash) and returns its result. */
export function runScript(script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExeResult> {
  return exec('bash', [join(repoRoot, script), ...args], opts);
}
