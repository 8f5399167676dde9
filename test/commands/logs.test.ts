import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalctlArgs } from '../../src/commands/logs.js';
import { runCli as cli } from '../support/cli-io.js';
import { repoRoot } from '../support/shared.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gs-logs-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const waitFor = async (cond: () => boolean, ms = 5000) => {
  for (let t = 0; t < ms && !cond(); t += 25) await new Promise((r) => setTimeout(r, 25));
};

describe('geostream logs', () => {
  it('asks journalctl for the unit, readably, with --since and --follow passed through', () => {
    expect(journalctlArgs({ unit: 'geostream', follow: false })).toEqual(['--unit', 'geostream', '--no-pager', '--output', 'short-iso', '--lines', '200']);
    expect(journalctlArgs({ unit: 'geostream', follow: true, since: '1 hour ago' })).toEqual(['--unit', 'geostream', '--no-pager', '--output', 'short-iso', '--since', '1 hour ago', '--follow']);
    expect(journalctlArgs({ unit: 'x', follow: false, lines: 5 })).toContain('5');
  });

  it('with journald, runs journalctl and passes its output and exit code through', async () => {
    const dir = tempDir();
    const fake = join(dir, 'journalctl');
    writeFileSync(fake, '#!/bin/sh\necho "journalctl $*"\nexit 3\n');
    chmodSync(fake, 0o755);
    process.env.GEOSTREAM_JOURNALCTL = fake;
    cleanups.push(() => delete process.env.GEOSTREAM_JOURNALCTL);
    const r = await cli(['logs', '--since', 'today']);
    expect(r.stdout).toBe('journalctl --unit geostream --no-pager --output short-iso --since today\n');
    expect(r.code).toBe(3);
  });

  it('without journald, shows the last lines of the log file', async () => {
    const file = join(tempDir(), 'geostream.log');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `INFO: line ${i}`).join('\n') + '\n');
    const r = await cli(['logs', '--file', file, '-n', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('INFO: line 4997\nINFO: line 4998\nINFO: line 4999\n');
  });

  it('--since on a log file is a usage error (its lines carry no dates)', async () => {
    const file = join(tempDir(), 'geostream.log');
    writeFileSync(file, 'x\n');
    const r = await cli(['logs', '--file', file, '--since', 'today']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since needs journald/);
  });

  it('a missing log file is a clear error', async () => {
    const r = await cli(['logs', '--file', join(tempDir(), 'nope.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no log file at .*nope\.log/);
  });

  it('-f follows the file across truncation (log rotation) until Ctrl-C', async () => {
    const file = join(tempDir(), 'geostream.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), 'logs', '--file', file, '-f', '-n', '1'], { cwd: repoRoot });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    await waitFor(() => out.includes('old 2'));
    appendFileSync(file, 'new 3\n');
    await waitFor(() => out.includes('new 3'));
    truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(file, 'rotated 4\n');
    await waitFor(() => out.includes('rotated 4'));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toBe('old 2\nnew 3\nrotated 4\n');
  });
});
