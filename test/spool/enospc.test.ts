import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
import { tempDir } from './helpers.js';

/** Real ENOSPC: a 256 KiB tmpfs in a private mount namespace (needs root and unshare). */
const canMount = process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

describe('spool on a full filesystem (real tmpfs)', () => {
  it.skipIf(!canMount)('survives real ENOSPC: one storage fault, no throw, readable from memory, everything written once space returns', () => {
    const t = tempDir('geostream-spool-enospc-');
    try {
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', join(repoRoot, 'test', 'spool', 'enospc-driver.ts'), t.dir], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60000,
      });
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      expect(out.error, String(out.error)).toBeUndefined();
      expect(out.faultWhy).toMatch(/ENOSPC/);
      expect(out.statusFault).toMatch(/ENOSPC/);
      expect(out.threw).toBe(0);
      expect(out.cleared).toBe(true);
      expect(out.faults).toEqual([expect.stringMatching(/ENOSPC/), null]);
      expect(out.storageLogLines).toHaveLength(3); // ok, ok -> failed (ENOSPC), failed -> ok
      expect(out.intact).toBe(true);
      expect(out.readableWhileFull).toBeGreaterThan(0);
      // nothing lost silently: kept data plus reported loss is everything appended
      expect((out.data as number) + (out.gapLost as number)).toBe(out.appended);
      expect(out.gapLost).toBe(0); // the ring (2 MiB) was big enough
    } finally {
      t.cleanup();
    }
  });
});
