/**
 * The guest's initramfs: static busybox, stage 1 (init.sh) and stage 2 (stage2.sh), and
 * the kernel's virtio/9p modules; everything else comes from the host over 9p. Written
 * as an uncompressed newc cpio archive with Debian's cpio.
 */
import { copyFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { bootModules, findProgram, type Kernel } from './kernel.js';

const here = import.meta.dirname;

export function buildInitramfs(k: Kernel, workDir: string): string {
  const root = join(workDir, 'initramfs');
  for (const d of ['bin', 'mods', 'newroot']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(findProgram('busybox', 'busybox-static'), join(root, 'bin/busybox'));
  copyFileSync(join(here, 'init.sh'), join(root, 'init'));
  copyFileSync(join(here, 'stage2.sh'), join(root, 'stage2.sh'));
  chmodSync(join(root, 'init'), 0o755);
  const mods = bootModules(k);
  for (const m of mods) copyFileSync(m, join(root, 'mods', basename(m)));
  writeFileSync(join(root, 'modules.list'), mods.map((m) => basename(m)).join('\n') + '\n');
  const out = join(workDir, 'initramfs.cpio');
  const files = execFileSync('find', ['.', '-mindepth', '1'], { cwd: root, encoding: 'utf8' });
  execFileSync('bash', ['-c', `${findProgram('cpio', 'cpio')} --quiet -o -H newc -R 0:0 > "$0"`, out], { cwd: root, input: files });
  return out;
}
