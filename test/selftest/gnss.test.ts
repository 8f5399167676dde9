// The self-test's GNSS probe on a real serial path: socat makes a pty pair, serialport
// (the board's real UART implementation) opens one end, the test writes into the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/agent/config.js';
import { systemClock } from '../../src/base/clock.js';
import { gnssProbe } from '../../src/selftest/probes/gnss.js';
import { runChecks } from '../../src/selftest/runner.js';
import { checks } from '../../src/selftest/checks/index.js';
import { sharedData } from '../support/shared.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-selftest-pty-'));
const gps = join(dir, 'ttyGPS');
const feed = join(dir, 'ttyFEED');
let socat: ChildProcess;
let fd = -1;

function configFor(path: string) {
  const board = join(dir, `board-${path.replace(/\W/g, '')}.json`);
  writeFileSync(board, JSON.stringify({ name: 'pty-test', uart: { path, baud: 9600 } }));
  const file = join(dir, `config-${path.replace(/\W/g, '')}.json`);
  writeFileSync(file, JSON.stringify({ vehicle: { id: 'TRUCK-PTY' }, board, spool: { dir: join(dir, 'spool') } }));
  return loadConfig(file);
}

/** Writes `text` into the feed end a line every `everyMs` (like a 1 Hz receiver, faster). */
function feedLines(lines: string[], everyMs = 5): NodeJS.Timeout {
  let i = 0;
  return setInterval(() => {
    if (i < lines.length) writeSync(fd, `${lines[i++]}\r\n`);
  }, everyMs);
}

beforeAll(async () => {
  socat = spawn('socat', [`pty,raw,echo=0,link=${gps}`, `pty,raw,echo=0,link=${feed}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(gps) && existsSync(feed), 3000, 'socat ptys');
  fd = openSync(feed, constants.O_RDWR | constants.O_NOCTTY);
});
afterAll(() => {
  if (fd >= 0) closeSync(fd);
  socat?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('selftest GNSS probe on a pty', () => {
  it('a receiver sending NMEA (MT3339 capture) passes UART and fix; its old date fails the clock check', async () => {
    const lines = readFileSync(sharedData('gpsd', 'mt3339.log'), 'latin1').split('\n').filter((l) => l.startsWith('$'));
    const feeder = feedLines(lines);
    try {
      const config = configFor(gps);
      const picked = checks.filter((c) => ['uart', 'gnss-fix', 'clock'].includes(c.id));
      const r = await runChecks(picked, { config, tlsDir: dir, clock: systemClock, probes: { gnss: gnssProbe(config, systemClock) } });
      const by = Object.fromEntries(r.map((c) => [c.id, c]));
      expect(by.uart!.status).toBe('PASS');
      expect(by.uart!.summary).toMatch(new RegExp(`^${gps}: \\d+ valid sentences, 0 bad, in [\\d.]+ s$`));
      expect(by['gnss-fix']!.status).toBe('PASS');
      expect(by['gnss-fix']!.summary).toMatch(/^3D fix, 1\d satellites, HDOP 0\.\d+$/);
      expect(by.clock!.status).toBe('FAIL');
      // A live receiver's 2015 date reads as a GPS week rollover (src/gnss/date.ts): far off either way.
      expect(by.clock!.summary).toMatch(/^system clock (ahead of|behind) GNSS by \d{8,} s$/);
    } finally {
      clearInterval(feeder);
    }
  });

  it('noise at the wrong baud rate: bytes but no valid NMEA', async () => {
    const noise = Array.from({ length: 60 }, (_, i) => `\xf0\x0f${String.fromCharCode(65 + (i % 26))}~~$GPGGA,bad*00`);
    const feeder = feedLines(noise);
    try {
      const s = await gnssProbe(configFor(gps), systemClock).sample(800, new AbortController().signal);
      expect(s.bytes).toBeGreaterThan(0);
      expect(s.sentences).toBe(0);
      expect(s.bad).toBeGreaterThan(0);
      const r = await checks.find((c) => c.id === 'uart')!.run({ config: undefined, tlsDir: dir, clock: systemClock, probes: { gnss: { sample: async () => s } }, signal: new AbortController().signal, gnss: async () => s });
      expect(r.status).toBe('FAIL');
      expect(r.fix).toMatch(/baud rate in the board file/);
    } finally {
      clearInterval(feeder);
    }
  });

  it('a silent receiver: no bytes within the sample', async () => {
    const s = await gnssProbe(configFor(gps), systemClock).sample(500, new AbortController().signal);
    expect(s).toMatchObject({ bytes: 0, sentences: 0, fix: null });
  });

  it('a missing device is a FAIL with the enable_uart fix', async () => {
    const config = configFor(join(dir, 'ttyNONE'));
    const r = await runChecks(checks.filter((c) => c.id === 'uart'), { config, tlsDir: dir, clock: systemClock, probes: { gnss: gnssProbe(config, systemClock) } });
    expect(r[0]!.status).toBe('FAIL');
    expect(r[0]!.reason).toMatch(/ttyNONE/);
    expect(r[0]!.fix).toMatch(/enable_uart=1/);
    // ...and names the ports the system does have (serialport's list), or says there are none.
    expect(r[0]!.fix).toMatch(/; (serial ports present: \/dev\/\S+(, \/dev\/\S+)*|no serial ports present)$/);
  });
});
