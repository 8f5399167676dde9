import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusBoard } from '../../src/base/status-board.js';
import { StatusServer, queryStatus, statusSocketPath } from '../../src/status/socket.js';
import { silentLogger } from '../../src/base/log.js';
import { runCli as cli } from '../support/cli-io.js';
import { repoRoot } from '../support/shared.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gs-status-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function serve(path: string, board = new StatusBoard()): Promise<StatusServer> {
  const s = await StatusServer.listen({ path, board, agent: () => ({ version: '0.1.0', pid: process.pid, startedAt: '2026-11-27T10:00:00.000Z', vehicle: 'TRUCK-042' }), log: silentLogger() });
  cleanups.push(() => s.close());
  return s;
}

/** A real agent-like process serving the socket; resolves once it listens. */
async function childAgent(path: string): Promise<{ kill: () => void; exited: Promise<void>; out: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'fixtures', 'status', 'agent-socket.ts'), path], { cwd: repoRoot });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  cleanups.push(() => child.kill('SIGKILL'));
  for (let i = 0; i < 200 && !out; i++) await new Promise((r) => setTimeout(r, 25));
  return { kill: () => child.kill('SIGKILL'), exited, out: () => out };
}

describe('status socket', () => {
  it("geostream status prints the running agent's StatusBoard", async () => {
    const path = join(tempDir(), 'status.sock');
    const board = new StatusBoard();
    await serve(path, board);
    board.setGnss('fix');
    board.setLink('offline');
    board.setBacklog(1234);
    board.setFault('sensor:tyre-fl', 'no answer at 0x28');
    board.setDetail('gnss', { sats: 9, hdop: 0.9 });
    const r = await cli(['status', '--socket', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^geostream 0\.1\.0 on TRUCK-042: pid \d+, up 0m 0\ds/);
    expect(r.stdout).toMatch(/gnss {5}fix\n {2}link {5}offline\n {2}backlog {2}1234 records not yet acknowledged\n {2}faults {3}sensor:tyre-fl: no answer at 0x28\n {2}gnss {5}\{"sats":9,"hdop":0\.9\}/);
    const j = await cli(['status', '--socket', path, '--json']);
    expect(JSON.parse(j.stdout).status).toEqual(board.snapshot());
  });

  it('the socket is 0660: the agent user and group only', async () => {
    const path = join(tempDir(), 'status.sock');
    await serve(path);
    expect(statSync(path).mode & 0o777).toBe(0o660);
  });

  it('a socket left by an agent killed with SIGKILL is replaced at the next start', async () => {
    const path = join(tempDir(), 'status.sock');
    const agent = await childAgent(path);
    expect(agent.out()).toBe('ready\n');
    expect((await queryStatus(path)).status.gnss).toBe('fix');
    agent.kill();
    await agent.exited;
    expect(existsSync(path)).toBe(true);
    await serve(path);
    expect((await queryStatus(path)).status.gnss).toBe('no-data');
  });

  it('a second agent on the same socket is refused while the first answers', async () => {
    const path = join(tempDir(), 'status.sock');
    await serve(path);
    await expect(serve(path)).rejects.toThrow(/another agent answers on .*status\.sock: stop it first/);
  });

  it('a regular file at the socket path is not deleted', async () => {
    const path = join(tempDir(), 'status.sock');
    writeFileSync(path, 'keep me');
    await expect(serve(path)).rejects.toThrow(/exists and is not a socket/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('no running agent: exit 1 and says so', async () => {
    const path = join(tempDir(), 'status.sock');
    const r = await cli(['status', '--socket', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no agent running: .*status\.sock does not exist/);
  });

  it('the default path follows systemd StateDirectory, overridable by GEOSTREAM_STATUS_SOCKET', () => {
    expect(statusSocketPath({})).toBe('/var/lib/geostream/status.sock');
    expect(statusSocketPath({ STATE_DIRECTORY: '/var/lib/geostream2' })).toBe('/var/lib/geostream2/status.sock');
    expect(statusSocketPath({ STATE_DIRECTORY: '/x', GEOSTREAM_STATUS_SOCKET: '/run/s.sock' })).toBe('/run/s.sock');
  });
});
