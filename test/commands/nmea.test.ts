import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData } from '../support/shared.js';
import { runCli } from '../support/cli-io.js';
import { fixFromJson } from '../../src/gnss/fix.js';
import { nmeaLine } from '../../src/gnss/lexer.js';

const tmp = mkdtempSync(join(tmpdir(), 'gnss-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('geostream nmea', () => {
  it('prints one JSON line per fix with exactly the documented keys, and a summary on stderr', async () => {
    const r = await runCli(['nmea', sharedData('gpsd', 'ublox-neo-m9n-nmea.log')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(61);
    expect(lines[0]).toBe('{"time":"2020-07-11T22:37:45.000Z","lat":38.110494,"lon":-122.626897,"alt":83.1,"speed":0.021,"course":null,"mode":3,"quality":2,"sats":12,"hdop":0.54}');
    for (const [i, l] of lines.entries()) fixFromJson(JSON.parse(l), `line ${i + 1}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^1403 sentences read: 0 bad checksum \(0 missing\), 0 malformed .*, \d+ unknown\/proprietary .*; 61 epochs, 61 fixes/);
  });

  it('--all also prints no-fix epochs with mode 1 and no position', async () => {
    const file = sharedData('gpsd', 'bu353-glonass.log');
    const fixesOnly = (await runCli(['nmea', file])).stdout.trim().split('\n');
    const all = (await runCli(['nmea', '--all', file])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { mode: number; lat: unknown });
    expect(all.length).toBeGreaterThan(fixesOnly.length);
    const nofix = all.filter((o) => o.mode === 1);
    expect(nofix.length).toBe(all.length - fixesOnly.length);
    expect(nofix.every((o) => o.lat === null)).toBe(true);
  });

  it('reads stdin with -, and counts the torture log\'s bad lines', async () => {
    const { readFileSync } = await import('node:fs');
    const r = await runCli(['nmea', '-'], readFileSync(sharedData('gpsd', 'gp-320fw-2019-04-07-coldboot.log')));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['{"time":"2019-04-07T00:03:45.030Z","lat":48.14998833333333,"lon":11.584663333333333,"alt":459.9,"speed":0.051,"course":0,"mode":3,"quality":1,"sats":4,"hdop":1.4}']);
    expect(r.stderr).toMatch(/ 41 bad checksum \(5 missing\), 6 malformed \(4 truncated, 0 over-long, 2 bad fields\)/);
  });

  it('--not-before moves a rolled-over receiver date by 1024 weeks', async () => {
    const f = join(tmp, 'rollover.nmea');
    writeFileSync(f, nmeaLine('GPRMC,120000,A,4807.038,N,01131.000,E,0.0,0.0,220899,,,A'));
    expect((await runCli(['nmea', f])).stdout).toContain('"time":"1999-08-22T12:00:00.000Z"');
    expect((await runCli(['nmea', '--not-before', '2019-01-01', f])).stdout).toContain('"time":"2019-04-07T12:00:00.000Z"');
  });

  it('exits 2 naming the problem for a missing file, no file, or a bad date', async () => {
    const a = await runCli(['nmea', join(tmp, 'nope.nmea')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/cannot read .*nope\.nmea: no such file/);
    expect((await runCli(['nmea'])).stderr).toMatch(/missing FILE/);
    expect((await runCli(['nmea', '--not-before', '2019-02-30', 'x'])).stderr).toMatch(/--not-before: expected a date/);
  });
});

describe('geostream run', () => {
  it('replays a capture on the sim board at --speed, logs one line per record, exits 0 on SIGTERM', async () => {
    const cfg = join(tmp, 'vehicle.json');
    writeFileSync(cfg, JSON.stringify({ vehicle: { id: 'TEST-1' }, board: 'sim', log: { level: 'info' }, sampling: { minPeriodS: 5 } }));
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', '--config', cfg, '--nmea', sharedData('gpsd', 'ublox-neo-m9n-nmea.log'), '--speed', '20x'], { cwd: repoRoot });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const t0 = Date.now();
    while (!/track: .*\[period\]/.test(out) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 50));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain('agent: starting: vehicle TEST-1, board sim');
    expect(out).toMatch(/track: 2020-07-11T22:37:45\.000Z 38\.1104940,-122\.6268970 .* \[first\]/);
    expect(out).toMatch(/track: 2020-07-11T22:37:50\.000Z .* \[period\]/);
    expect(out).toMatch(/gnss: receiver no-data -> no-fix|gnss: receiver no-data -> fix/);
    expect(out).toMatch(/SIGTERM: stopping/);
    expect(out).toMatch(/agent: stopped \(\d+ records taken\)/);
  });

  it('refuses --nmea on a real board and names the board', async () => {
    const cfg = join(tmp, 'pi.json');
    writeFileSync(cfg, JSON.stringify({ vehicle: { id: 'TEST-2' }, board: 'pi4-fleet' }));
    const r = await runCli(['run', '--config', cfg, '--nmea', 'x.nmea']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/need the simulated board; .* uses board "pi4-fleet"/);
  });

  it('rejects a bad sampling value naming the file and key', async () => {
    const cfg = join(tmp, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ vehicle: { id: 'TEST-3' }, board: 'sim', sampling: { heartbeatS: 0 } }));
    const r = await runCli(['run', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}: key 'sampling.heartbeatS': 0 is out of range`);
  });
});
