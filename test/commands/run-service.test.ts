// `geostream run` as systemd runs it: a real child process with NOTIFY_SOCKET and
// WATCHDOG_USEC, serving its status socket; SIGTERM stops it cleanly.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryStatus } from '../../src/status/socket.js';
import { notifySocket } from '../support/notify-socket.js';
import { repoRoot } from '../support/shared.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-agent-svc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('geostream run under systemd', () => {
  it('notifies READY=1, pings the watchdog, serves geostream status, and on SIGTERM says STOPPING=1 and removes its socket', async () => {
    const sock = await notifySocket(30);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ vehicle: { id: 'TRUCK-SVC' }, board: 'sim', spool: { dir: join(dir, 'spool') } }));
    const status = join(dir, 'status.sock');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), 'run', '--config', config], {
      cwd: repoRoot,
      env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '1000000', GEOSTREAM_STATUS_SOCKET: status },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    child.stderr.on('data', (d: Buffer) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await waitFor(() => sock.messages().some((m) => m.msg.startsWith('READY=1')), 20_000, `READY=1 (output: ${out})`);
      expect(statSync(status).mode & 0o777).toBe(0o660);
      await waitFor(() => sock.messages().filter((m) => m.msg === 'WATCHDOG=1').length >= 2, 5000, 'two watchdog pings');
      let reply = await queryStatus(status);
      for (let i = 0; i < 40 && reply.status.gnss !== 'fix'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        reply = await queryStatus(status);
      }
      expect(reply.agent.vehicle).toBe('TRUCK-SVC');
      expect(reply.agent.pid).toBe(child.pid);
      expect(reply.status.gnss).toBe('fix');
      expect(sock.messages().some((m) => m.msg === 'STATUS=GNSS fix, link disabled')).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(sock.messages().at(-1)!.msg).toBe('STOPPING=1');
      expect(existsSync(status)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      sock.close();
    }
  });
});
