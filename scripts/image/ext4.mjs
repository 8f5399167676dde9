// The ext4 root partition through debugfs (e2fsprogs), addressed as IMAGE?offset=N:
// no loop device, no mount, no root needed. debugfs exits 0 even when a command fails,
// so its error output is checked line by line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../package/run.mjs';
import { ImageError } from './partitions.mjs';

const dev = (file, part) => `${file}?offset=${part.start}`;

function debugfs(file, part, commands, { write = false, allow = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gs-debugfs-'));
  try {
    const script = join(dir, 'cmds');
    writeFileSync(script, `${commands.join('\n')}\n`);
    const r = spawnSync('debugfs', [...(write ? ['-w'] : []), '-f', script, dev(file, part)], { encoding: 'utf8' });
    if (r.error) throw new ImageError(`debugfs: ${r.error.message} (apt-get install e2fsprogs)`);
    const errors = r.stderr
      .split('\n')
      .filter((l) => l.trim() && !/^debugfs \d/.test(l) && !l.startsWith('debugfs: '))
      .filter((l) => !allow.some((re) => re.test(l)));
    if (r.status !== 0 || errors.length) throw new ImageError(`debugfs on the root partition failed: ${errors.join('; ') || `exit ${r.status}`}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws unless the partition holds an ext2/3/4 file system (superblock magic EF53). */
export function checkExt4(file, part, readAt) {
  const sb = readAt(part.start + 1024, 64);
  if (sb.length < 58 || sb.readUInt16LE(56) !== 0xef53) throw new ImageError(`${file}: partition ${part.index} is not ext4 (no superblock magic)`);
}

export function extExists(file, part, path) {
  const out = debugfs(file, part, [`stat ${path}`], { allow: [/File not found by ext2_lookup/] });
  return /Inode: \d+/.test(out);
}

export function extRead(file, part, path) {
  return debugfs(file, part, [`cat ${path}`]);
}

/**
 * Applies file operations in one debugfs session:
 *  { mkdir: '/etc/geostream' } | { file: '/etc/x', from: localPath, mode: 0o600, uid, gid } |
 *  { symlink: '/etc/.../x.service', to: '/etc/.../x.service' }
 * Existing files and links are replaced; existing directories kept.
 */
export function extApply(file, part, ops) {
  const cmds = [];
  const allow = [/File exists/, /File not found by ext2_lookup/, /Ext2 directory already exists/];
  for (const op of ops) {
    if (op.mkdir) {
      cmds.push(`mkdir ${op.mkdir}`, `sif ${op.mkdir} mode 040${(op.mode ?? 0o755).toString(8).padStart(3, '0')}`);
    } else if (op.file) {
      const slash = op.file.lastIndexOf('/');
      cmds.push(`rm ${op.file}`, `cd ${op.file.slice(0, slash) || '/'}`, `write ${op.from} ${op.file.slice(slash + 1)}`, 'cd /');
      cmds.push(`sif ${op.file} mode 0100${op.mode.toString(8).padStart(3, '0')}`, `sif ${op.file} uid ${op.uid ?? 0}`, `sif ${op.file} gid ${op.gid ?? 0}`);
    } else if (op.symlink) {
      cmds.push(`rm ${op.symlink}`, `symlink ${op.symlink} ${op.to}`);
    }
  }
  debugfs(file, part, cmds, { write: true, allow });
}

/** Permission bits, type, size and (for a fast symlink) target of a path, from debugfs stat. */
export function extStat(file, part, path) {
  const out = debugfs(file, part, [`stat ${path}`]);
  const mode = /Mode:\s+(\d+)/.exec(out)?.[1];
  const type = /Type: (\w+)/.exec(out)?.[1];
  const size = /Size: (\d+)/.exec(out)?.[1];
  const link = /Fast link dest: "([^"]*)"/.exec(out)?.[1];
  return { type, mode: mode ? parseInt(mode, 8) : undefined, size: size ? Number(size) : undefined, link };
}

/** e2fsck -fn: the file system is consistent after our edits. */
export function extFsck(file, part) {
  run('e2fsck', ['-fn', dev(file, part)]);
}

/** Copies a file out of the image (to check what was written). */
export function extDump(file, part, path, dest) {
  debugfs(file, part, [`dump ${path} ${dest}`]);
}
