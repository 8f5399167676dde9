import { join } from 'node:path';
import type { SpoolFs } from './fs.js';
import { writeAll } from './fs.js';

export const LOCK_FILE = 'spool.lock';

/**
 * One process per spool directory: a lock file holding the owner's pid. A lock whose pid is
 * gone (the owner was killed) or is this very process is taken over. Returns a release
 * function. Throws when another live process holds the spool. If the lock cannot be written
 * (read-only storage) the spool runs anyway: storage faults must not stop the agent.
 */
export function takeLock(fs: SpoolFs, dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  let holder: number | null = null;
  try {
    const pid = Number(Buffer.from(fs.readFileSync(path)).toString('utf8').trim());
    if (Number.isInteger(pid) && pid > 0) holder = pid;
  } catch {
    /* no lock */
  }
  if (holder !== null && holder !== process.pid && alive(holder)) throw new Error(`spool ${dir} is in use by process ${holder} (${path})`);
  try {
    const fd = fs.openSync(path, 'w');
    try {
      writeAll(fs, fd, Buffer.from(`${process.pid}\n`), 0);
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
