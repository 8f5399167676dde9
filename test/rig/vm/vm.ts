/**
 * The KVM rig: boots Debian's kernel (see kernel.ts) in qemu-system-x86_64 with KVM, with the
 * host's /usr and /etc read-only over 9p and the given directories shared at the same
 * paths, runs one shell script inside and powers off. The script sees the host's programs
 * (node, ip, tc, candump...) and the guest kernel's modules (modprobe works); it runs as
 * root in the guest with no network devices but lo.
 *
 * The job travels through a host directory shared as /job: cmd, env, cwd, modules in;
 * stdout, stderr and rc out.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseAccel, findKernel, findProgram, vmlinux, type Accel } from './kernel.js';
import { buildInitramfs } from './initramfs.js';

export const repo = resolve(import.meta.dirname, '../../..');

export interface Share {
  /** Host directory, mounted at the same path in the guest. */
  path: string;
  rw?: boolean;
}

export interface VmOptions {
  /** Directory the script starts in (default: the repository). */
  cwd?: string;
  env?: Record<string, string>;
  /** Kernel modules to modprobe before the script (a failure gives exit code 125). */
  modules?: string[];
  /** Extra host directories; the repository (rw) and ../shared (ro, when present) are always shared. */
  shares?: Share[];
  memoryMb?: number;
  cpus?: number;
  /** Whole run, boot included (default 120 s). */
  timeoutMs?: number;
}

export interface VmResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The guest's serial console (kernel messages at loglevel 3 and above, stage 1 errors). */
  console: string;
  /** Host time from qemu's start to the guest's ready line (kernel boot, stage 1, stage 2 setup), in ms. */
  bootMs: number;
  /** Host wall time from qemu start to qemu exit. */
  wallMs: number;
  accel: Accel;
  /** Why this accelerator (see chooseAccel). */
  accelReason: string;
}

/**
 * Kernel arguments that shorten an emulated boot (measured under TCG: 26 s of guest time to
 * 13 s): no ACPI (its interpreter is slow under emulation; the guest resets instead of powering
 * off, and -no-reboot turns the reset into qemu's exit), no zeroing of every allocation, no
 * speculation mitigations, no legacy keyboard probing.
 */
const BOOT_ARGS = ['acpi=off', 'init_on_alloc=0', 'init_on_free=0', 'mitigations=off', 'tsc=reliable', 'no_timer_check', 'i8042.noaux', 'i8042.nokbd'];

/** The line stage 2 prints on the console just before it runs the job. */
const READY = 'geostream-vm: ready';

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

function defaultShares(extra: Share[]): Share[] {
  const shares: Share[] = [{ path: '/usr' }, { path: '/etc' }];
  const shared = resolve(repo, '..', 'shared');
  if (existsSync(shared)) shares.push({ path: shared });
  shares.push({ path: repo, rw: true }, ...extra);
  return shares;
}

/** Top-level symlinks of a merged-/usr host (/bin -> usr/bin ...), recreated in the guest; real directories are shared. */
function rootLinks(shares: Share[]): string[] {
  const args: string[] = [];
  for (const name of ['bin', 'sbin', 'lib', 'lib64']) {
    const p = `/${name}`;
    if (!existsSync(p)) continue;
    if (lstatSync(p).isSymbolicLink()) args.push(`rig.link=${name}:${readlinkSync(p)}`);
    else shares.unshift({ path: p });
  }
  return args;
}

export async function runInVm(script: string, opts: VmOptions = {}): Promise<VmResult> {
  const { accel, reason } = chooseAccel();
  const kernel = findKernel();
  const qemu = findProgram('qemu-system-x86_64', 'qemu-system-x86');
  const work = mkdtempSync(join(tmpdir(), 'geostream-vm-'));
  try {
    const initrd = buildInitramfs(kernel, work);
    const job = join(work, 'job');
    mkdirSync(job);
    writeFileSync(join(job, 'cmd'), script);
    writeFileSync(join(job, 'cwd'), opts.cwd ?? repo);
    writeFileSync(join(job, 'modules'), (opts.modules ?? []).join(' '));
    writeFileSync(join(job, 'env'), Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${quote(v)}\n`).join(''));
    const shares = defaultShares(opts.shares ?? []);
    const links = rootLinks(shares);
    shares.push({ path: '/job', rw: true });
    const args = accel === 'kvm' ? ['-enable-kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
    args.push('-M', 'pc', '-m', String(opts.memoryMb ?? 512), '-smp', String(opts.cpus ?? (accel === 'kvm' ? 2 : 1)));
    args.push('-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-serial', 'stdio', '-nic', 'none');
    args.push('-kernel', accel === 'kvm' ? kernel.image : vmlinux(kernel), '-initrd', initrd);
    const cmdline = ['console=ttyS0', `loglevel=${process.env.GEOSTREAM_VM_DEBUG ? 7 : 3}`, 'panic=-1', 'rdinit=/init', ...BOOT_ARGS, ...links, ...(process.env.GEOSTREAM_VM_APPEND ?? '').split(' ').filter(Boolean)];
    shares.forEach((s, i) => {
      const host = s.path === '/job' ? job : s.path;
      const tag = `s${i}`;
      args.push('-virtfs', `local,path=${host},mount_tag=${tag},security_model=none,multidevs=remap${s.rw ? '' : ',readonly=on'}`);
      cmdline.push(`rig.share=${tag}:${s.path}:${s.rw ? 'rw' : 'ro'}`);
    });
    args.push('-append', cmdline.join(' '));
    const t0 = Date.now();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let console = '';
    let bootMs = -1;
    child.stdout.on('data', (d: Buffer) => {
      console += d.toString('utf8');
      if (bootMs < 0 && console.includes(READY)) bootMs = Date.now() - t0;
      if (process.env.GEOSTREAM_VM_DEBUG) process.stderr.write(d);
    });
    child.stderr.on('data', (d: Buffer) => (console += d.toString('utf8')));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const exited = await new Promise<string | null>((res, rej) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        res(null);
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
      child.on('exit', (c, sig) => {
        clearTimeout(timer);
        res(sig ?? String(c));
      });
    });
    const wallMs = Date.now() - t0;
    const read = (f: string): string | undefined => (existsSync(join(job, f)) ? readFileSync(join(job, f), 'utf8') : undefined);
    const rc = read('rc');
    if (rc === undefined) {
      const why = exited === null ? `did not finish within ${timeoutMs} ms` : `qemu exited (${exited}) before the job finished`;
      throw new Error(`VM rig: ${why}; console:\n${console.slice(-4000)}\nstderr:\n${(read('stderr') ?? '').slice(-2000)}`);
    }
    return {
      code: Number(rc.trim()),
      stdout: read('stdout') ?? '',
      stderr: read('stderr') ?? '',
      console,
      bootMs,
      wallMs,
      accel,
      accelReason: reason,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
