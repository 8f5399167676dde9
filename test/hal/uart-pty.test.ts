import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxUart } from '../../src/hal/linux/uart.js';
import { GnssReceiver } from '../../src/gnss/receiver.js';
import { NmeaGenerator } from '../../src/gnss/sim/generator.js';
import { FIRST_ROLLOVER } from '../../src/gnss/date.js';
import { silentLogger } from '../../src/base/log.js';
import { StatusBoard, type GnssState } from '../../src/base/status-board.js';
import { systemClock } from '../../src/base/clock.js';
import type { Fix } from '../../src/gnss/fix.js';
import { waitFor } from '../support/wait.js';

/**
 * A real serial path: socat makes a pty pair; serialport opens one end at 9600 baud, the
 * test writes generated NMEA into the other in random chunk sizes. Killing socat gives
 * no close event on the open port (only silence); the receiver must report "no data"
 * within 6 s and, once socat is back, resume fixes by reopening the path on its own.
 */
const dir = mkdtempSync(join(tmpdir(), 'gnss-pty-'));
const gpsPath = join(dir, 'ttyGPS');
const feedPath = join(dir, 'ttyFEED');
let socat: ChildProcess | undefined;
let feeder: NodeJS.Timeout | undefined;
let receiver: GnssReceiver | undefined;

async function startSocat(): Promise<void> {
  socat = spawn('socat', [`pty,raw,echo=0,link=${gpsPath}`, `pty,raw,echo=0,link=${feedPath}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(gpsPath) && existsSync(feedPath), 3000, 'socat ptys');
}

async function killSocat(): Promise<void> {
  const p = socat;
  socat = undefined;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

/** Writes generator output into the feed end in random chunks of 1-64 bytes. */
function startFeeder(gen: NmeaGenerator, seed: number): void {
  const fd = openSync(feedPath, constants.O_RDWR | constants.O_NOCTTY);
  let pending = Buffer.alloc(0);
  let s = seed;
  let ticks = 0;
  feeder = setInterval(() => {
    if (ticks++ % 5 === 0) pending = Buffer.concat([pending, Buffer.from(gen.next().text, 'latin1')]);
    for (let k = 0; k < 6 && pending.length; k++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const n = Math.min(pending.length, 1 + (s % 64));
      try {
        writeSync(fd, pending.subarray(0, n));
      } catch {
        clearInterval(feeder);
        try { closeSync(fd); } catch { /* already gone */ }
        return;
      }
      pending = pending.subarray(n);
    }
  }, 20);
  feeder.unref();
}

function stopFeeder(): void {
  clearInterval(feeder);
}

afterAll(async () => {
  stopFeeder();
  await receiver?.stop();
  await killSocat();
  rmSync(dir, { recursive: true, force: true });
});

describe('GNSS over a real pty (socat)', () => {
  it('serialport reads fixes; socat killed -> no data within 6 s; socat back -> fixes resume without restart', async () => {
    await startSocat();
    const status = new StatusBoard();
    const fixes: Fix[] = [];
    const states: [GnssState, number][] = [];
    receiver = new GnssReceiver({
      uart: linuxUart, path: gpsPath, baudRate: 9600, clock: systemClock, log: silentLogger(), status,
      noDataMs: 5000, notBeforeMs: FIRST_ROLLOVER, reopenMinMs: 300, reopenMaxMs: 1000,
    });
    receiver.on('fix', (f) => fixes.push(f));
    receiver.on('state', (s) => states.push([s, performance.now()]));
    receiver.start();
    const gen = new NmeaGenerator({ rateHz: 1, startMs: Date.UTC(2026, 10, 27, 9), seed: 5 });
    startFeeder(gen, 1);
    await waitFor(() => fixes.filter((f) => f.mode === 3).length >= 3, 8000, 'first fixes');
    expect(status.gnss).toBe('fix');
    const firstBatch = fixes.length;
    // Consecutive epochs, none lost or merged in the chunked stream.
    for (let i = 1; i < firstBatch; i++) expect(fixes[i]!.timeMs - fixes[i - 1]!.timeMs).toBe(1000);

    // Receiver "unplugged": socat dies, the port gets no close event.
    stopFeeder();
    const killedAt = performance.now();
    await killSocat();
    const waited = await waitFor(() => status.gnss === 'no-data', 6000, '"no data" after killing socat');
    expect(waited).toBeLessThan(6000);
    expect(states.at(-1)![0]).toBe('no-data');
    expect(states.at(-1)![1] - killedAt).toBeLessThan(6000);

    // Plugged back: a new socat (new pts behind the same link); same receiver object.
    const before = fixes.length;
    await startSocat();
    startFeeder(gen, 2);
    await waitFor(() => fixes.slice(before).filter((f) => f.mode === 3).length >= 2, 10_000, 'fixes after socat restart');
    expect(status.gnss).toBe('fix');
  });
});
