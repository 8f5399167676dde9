import { mkdir, open, readFile, statfs, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorCode, errorMessage } from '../../base/errors.js';
import { fail, needsConfig, pass, warn, type Check } from '../check.js';

/** Below this the spool cannot hold a useful backlog: FAIL. */
export const SPOOL_MIN_FREE = 16 * 1024 * 1024;
/** Below this: WARN (a day offline at 1 record/s is ~10 MB). */
export const SPOOL_LOW_FREE = 128 * 1024 * 1024;

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MiB`;

/** The spool directory exists (or can be made), takes a durable write, and has room. */
export function makeSpoolCheck(minFree = SPOOL_MIN_FREE, lowFree = SPOOL_LOW_FREE): Check {
  return {
    id: 'spool',
    title: 'spool writable, free space',
    timeoutMs: 5000,
    async run(ctx) {
      if (!ctx.config) return needsConfig();
      const dir = resolve(ctx.config.spool.dir);
      const probe = join(dir, `.selftest-${process.pid}`);
      const data = Buffer.from(`geostream selftest ${new Date(ctx.clock.wallNow()).toISOString()}\n`);
      try {
        await mkdir(dir, { recursive: true });
        const fh = await open(probe, 'w', 0o600);
        try {
          await fh.write(data);
          await fh.sync();
        } finally {
          await fh.close();
        }
        const back = await readFile(probe);
        if (!back.equals(data)) return fail(`${dir}: read back differs from what was written`, 'the SD card returned different bytes', 'replace the SD card (it is failing)');
      } catch (err) {
        const code = errorCode(err);
        const fix =
          code === 'EACCES' || code === 'EPERM'
            ? `give the service user write access (the unit's StateDirectory makes /var/lib/geostream), or run selftest as that user: sudo -u geostream geostream selftest`
            : code === 'EROFS'
              ? 'the filesystem is read-only (SD card errors?): check dmesg, run fsck, replace the card'
              : code === 'ENOSPC'
                ? 'the disk is full: free space (journalctl --vacuum-size=50M) or use a larger card'
                : 'check the spool.dir setting and the disk (dmesg)';
        return fail(`${dir}: cannot write`, errorMessage(err), fix);
      } finally {
        await unlink(probe).catch(() => undefined);
      }
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      const summary = `${dir}: writable, ${mib(free)} free of ${mib(fs.blocks * fs.bsize)}`;
      const fixSpace = 'free space on the card (journalctl --vacuum-size=50M, remove old files) or use a larger card';
      if (free < minFree) return fail(summary, `less than ${mib(minFree)} free: records will be dropped while offline`, fixSpace);
      if (free < lowFree) return warn(summary, `less than ${mib(lowFree)} free`, fixSpace);
      return pass(summary);
    },
  };
}

export const spoolCheck = makeSpoolCheck();
