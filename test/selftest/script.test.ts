import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';

describe('scripts/selftest.sh (what a technician types)', () => {
  it('runs geostream selftest on the device config and passes its table and exit code through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-selftest-sh-'));
    try {
      const exe = join(dir, 'geostream');
      writeFileSync(exe, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(repoRoot, 'src', 'cli.ts')}" "$@"\n`);
      chmodSync(exe, 0o755);
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ vehicle: { id: 'TRUCK-SH' }, board: 'sim', spool: { dir: join(dir, 'spool') } }));
      const r = spawnSync('bash', [join(repoRoot, 'scripts', 'selftest.sh'), '--only', 'config,uart,spool'], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, GEOSTREAM_EXE: exe, GEOSTREAM_CONFIG: config, GEOSTREAM_USER: 'gs-no-such-user' },
      });
      if (process.getuid?.() !== 0) {
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/run it with sudo/);
        return;
      }
      expect(r.stderr).toMatch(/user gs-no-such-user does not exist yet .*running as root/);
      expect(r.stdout).toMatch(/geostream selftest: TRUCK-SH on board sim/);
      expect(r.stdout).toMatch(/3 checks: 3 PASS, 0 WARN, 0 FAIL, 0 SKIP/);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
