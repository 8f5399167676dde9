/**
 * What the VM rig boots: a Debian kernel from /boot whose modules are installed in
 * /usr/lib/modules (package linux-image-amd64), qemu-system-x86_64 (qemu-system-x86),
 * a static busybox (busybox-static) and /dev/kvm. Each check throws an error naming the
 * missing piece and the Debian package that provides it, so a test needing the rig fails
 * loudly instead of passing or skipping silently.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Kernel {
  version: string;
  image: string;
  modules: string;
}

export function findKernel(): Kernel {
  const want = process.env.GEOSTREAM_VM_KERNEL;
  const versions = existsSync('/boot')
    ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length))
    : [];
  const usable = versions
    .filter((v) => (!want || v === want) && existsSync(`/usr/lib/modules/${v}/modules.dep`))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  if (usable.length === 0) {
    throw new Error(
      `VM rig: no kernel in /boot with its modules in /usr/lib/modules${want ? ` (GEOSTREAM_VM_KERNEL=${want})` : ''}: ` +
        'apt-get install linux-image-amd64',
    );
  }
  const version = usable[0]!;
  return { version, image: `/boot/vmlinuz-${version}`, modules: `/usr/lib/modules/${version}` };
}

/**
 * The kernel as an uncompressed ELF (vmlinux), which qemu starts through its PVH entry
 * point. Under emulation (TCG) the bzImage's own xz decompressor costs ~15 s of guest
 * time; xz on the host does it in ~3 s, once per kernel (cached in GEOSTREAM_CACHE).
 */
export function vmlinux(k: Kernel): string {
  const cache = join(process.env.GEOSTREAM_CACHE ?? join(homedir(), '.cache', 'geostream'), 'vm');
  const st = statSync(k.image);
  const out = join(cache, `vmlinux-${k.version}-${st.size}-${Math.trunc(st.mtimeMs)}`);
  if (existsSync(out)) return out;
  const image = readFileSync(k.image);
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new Error(`VM rig: ${k.image} holds no xz-compressed kernel (the rig reads Debian's xz bzImage)`);
  // xz stops with an error at the bytes after the stream (the bzImage's trailer); the ELF is complete by then.
  let elf: Buffer;
  try {
    elf = execFileSync(findProgram('xz', 'xz-utils'), ['-dcq'], { input: image.subarray(at), maxBuffer: 512 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch (e) {
    elf = (e as { stdout?: Buffer }).stdout ?? Buffer.alloc(0);
  }
  if (elf.length < 1 << 20 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`VM rig: could not extract an ELF kernel from ${k.image}`);
  mkdirSync(cache, { recursive: true });
  writeFileSync(`${out}.tmp`, elf);
  renameSync(`${out}.tmp`, out);
  return out;
}

export type Accel = 'kvm' | 'tcg';

/**
 * Which accelerator to use: GEOSTREAM_VM_ACCEL=kvm|tcg, or else /dev/kvm, required (a
 * missing or closed /dev/kvm throws). One exception: a host whose KVM is PVM (a
 * paravirtual nested KVM, /sys/module/kvm_pvm) runs an unmodified Debian kernel far
 * slower than emulation (measured: 9 ms per first touch of a guest page, the bzImage still
 * decompressing after 70 s), so there the rig emulates (TCG). `reason` says which and why.
 */
export function chooseAccel(): { accel: Accel; reason: string } {
  const env = process.env.GEOSTREAM_VM_ACCEL;
  if (env === 'kvm') {
    requireKvm();
    return { accel: 'kvm', reason: 'GEOSTREAM_VM_ACCEL=kvm' };
  }
  if (env === 'tcg') return { accel: 'tcg', reason: 'GEOSTREAM_VM_ACCEL=tcg' };
  if (env) throw new Error(`VM rig: GEOSTREAM_VM_ACCEL must be kvm or tcg, not ${JSON.stringify(env)}`);
  requireKvm();
  if (existsSync('/sys/module/kvm_pvm')) return { accel: 'tcg', reason: 'the host KVM is PVM (kvm_pvm), which runs a stock kernel far slower than emulation' };
  return { accel: 'kvm', reason: '/dev/kvm' };
}

/** Throws unless /dev/kvm opens read-write. */
export function requireKvm(): void {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `VM rig: /dev/kvm is not usable here (${code}); the VM tests need hardware virtualisation ` +
        '(KVM) and fail rather than run under emulation',
      { cause: e },
    );
  }
}

export function findProgram(name: string, pkg: string): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  throw new Error(`VM rig: ${name} not found: apt-get install ${pkg}`);
}

/**
 * The .ko files, in load order, that give the guest virtio PCI and 9p: what stage 1
 * loads before it can mount the host's directories.
 */
export function bootModules(k: Kernel): string[] {
  const out = execFileSync(findProgram('modprobe', 'kmod'), ['-S', k.version, '-a', '--show-depends', 'virtio_pci', '9pnet_virtio', '9p'], { encoding: 'utf8' });
  const seen = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^insmod (\S+)/.exec(line.trim());
    if (m && !seen.has(m[1]!)) seen.add(m[1]!);
  }
  return [...seen];
}
