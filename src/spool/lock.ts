import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpoolFs } from './fs.js';
import { writeAll } from './fs.js';

export const LOCK_FILE = 'spool.lock';

/**
 * One process per spool directory: a lock file holding the owner's pid and the boot id. The
 * lock is stale, and taken over, when it is unreadable or torn (a power cut), written in an
 * earlier boot (pids restart at every boot), names this very process, or names a process that
 * is gone or is not a node/geostream process. Throws when another live geostream process holds
 * the spool. If the lock cannot be written (read-only storage) the spool runs anyway: storage
 * faults must not stop the agent.
 */
export function takeLock(fs: SpoolFs, dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const boot = bootId();
  let holder: number | null = null;
  try {
    const m = /^(\d+) ([0-9a-f-]+)\n$/.exec(Buffer.from(fs.readFileSync(path)).toString('utf8'));
    if (m && m[2] === boot) holder = Number(m[1]);
  } catch {
    /* no lock */
  }
  if (holder !== null && holder !== process.pid && ownsSpool(holder)) throw new Error(`spool ${dir} is in use by process ${holder} (${path})`);
  try {
    const fd = fs.openSync(path, 'w');
    try {
      writeAll(fs, fd, Buffer.from(`${process.pid} ${boot}\n`), 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return () => {};
  }
  return () => {
    try {
      fs.unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '0';
  }
}

function ownsSpool(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|geostream/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return true; // no /proc: trust the pid check
  }
}
