import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
import { waitFor } from '../support/wait.js';

const cli = (args: string[], timeout = 90_000) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout });

describe('geostream demo (real processes: server child, agent on the sim board)', () => {
  it('--duration runs the whole chain and its JSON summary shows every spooled record stored once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-link-demo-'));
    try {
      const r = cli(['demo', '--duration', '8', '--speed', '5', '--dir', dir]);
      expect(r.status, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
      expect(s.taken).toBeGreaterThan(10);
      expect(s.stored! + s.inSpool!).toBe(s.spooled);
      expect(s).toMatchObject({ lost: 0, duplicates: 0, serverExit: 0 });
      expect(r.stderr).toMatch(/fixes taken \d+ {2}sent \d+ {2}acked \d+ {2}backlog \d+ {2}link online/);
      // keys made for the demo are private
      expect(statSync(join(dir, 'ca', 'devices', 'DEMO-001.key')).mode & 0o777).toBe(0o600);
      // the stats command reads the same database
      const st = cli(['server', 'stats', '--db', join(dir, 'server.db')]);
      expect(st.status).toBe(0);
      const dev = (JSON.parse(st.stdout) as { devices: Record<string, unknown>[] }).devices[0]!;
      expect(dev).toMatchObject({ device: 'DEMO-001', records: s.stored, duplicates: 0, handshakes: 1, firmware: expect.any(String) });
      expect(dev.lastLat7).toEqual(expect.any(Number));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('Ctrl-C (SIGINT) stops the agent first, then the server, with nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-link-demo-'));
    try {
      const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'demo', '--speed', '5', '--dir', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += String(d)));
      const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
      await waitFor(() => /link online/.test(err), 60_000, 'demo progress line with the link online');
      p.kill('SIGINT');
      expect(await exited).toBe(0);
      const m = /stored (\d+) of (\d+) records \((\d+) still in the spool\)/.exec(err);
      expect(m, err).not.toBeNull();
      expect(Number(m![1]) + Number(m![3])).toBe(Number(m![2]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('server stats on a missing database fails with a clear message', () => {
    const r = cli(['server', 'stats', '--db', '/nonexistent/x.db']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/x\.db: no such database/);
  });
});
