import { afterEach, describe, expect, it } from 'vitest';
import { MockUart } from '../support/mock-uart.js';
import { GnssReceiver } from '../../src/gnss/receiver.js';
import { NmeaGenerator } from '../../src/gnss/sim/generator.js';
import { FIRST_ROLLOVER } from '../../src/gnss/date.js';
import { createLogger } from '../../src/base/log.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { systemClock } from '../../src/base/clock.js';
import type { Fix } from '../../src/gnss/fix.js';
import { lineSink, waitFor } from '../support/wait.js';
import { nmeaLine } from '../../src/gnss/lexer.js';

function setup(noDataMs = 800) {
  const uart = new MockUart();
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: lineSink(lines) });
  const status = new StatusBoard();
  const rx = new GnssReceiver({ uart, path: '/dev/mock0', baudRate: 9600, clock: systemClock, log, status, noDataMs, notBeforeMs: FIRST_ROLLOVER, reopenMinMs: 20, reopenMaxMs: 80, idleFlushMs: 30 });
  const fixes: Fix[] = [];
  rx.on('fix', (f) => fixes.push(f));
  return { uart, lines, status, rx, fixes };
}

let stopMe: GnssReceiver | undefined;
afterEach(async () => {
  await stopMe?.stop();
});

describe('GNSS receiver on a UART', () => {
  it('retries a missing device with backoff and logs the failure once, not per retry', async () => {
    const t = setup();
    stopMe = t.rx;
    t.uart.failNextOpens(6, 'ENOENT');
    t.rx.start();
    await waitFor(() => t.uart.isOpen, 3000, 'open after failures');
    expect(t.uart.opens).toBe(7);
    expect(t.lines.filter((l) => /port \/dev\/mock0 failed/.test(l))).toHaveLength(1);
    expect(t.status.gnss).toBe('no-data');
  });

  it('closes an epoch when the line goes idle, so a fix is not held back a whole period', async () => {
    const t = setup();
    stopMe = t.rx;
    t.rx.start();
    await waitFor(() => t.uart.isOpen, 1000, 'open');
    const gen = new NmeaGenerator({ rateHz: 1, startMs: Date.UTC(2026, 10, 27, 10), seed: 1 });
    t.uart.inject(gen.next().text);
    await waitFor(() => t.fixes.length === 1, 1000, 'the epoch after idle');
    expect(t.status.gnss).toBe('fix');
  });

  it('goes no-fix in a tunnel, no-data on silence, and reopens the port after a device error', async () => {
    const t = setup();
    stopMe = t.rx;
    t.rx.start();
    await waitFor(() => t.uart.isOpen, 1000, 'open');
    t.uart.inject(nmeaLine('GPRMC,120000,V,,,,,,,271126,,,N'));
    await waitFor(() => t.status.gnss === 'no-fix', 1000, 'no-fix');
    await waitFor(() => t.status.gnss === 'no-data', 2000, 'no-data on silence');
    // Silence also made it reopen the port (the path may lead to a new device now).
    await waitFor(() => t.lines.some((l) => /port \/dev\/mock0 receiving -> silent/.test(l)) && t.uart.isOpen, 2000, 'reopen on silence');
    const opens = t.uart.opens;
    t.uart.breakPort('EIO');
    await waitFor(() => t.uart.opens > opens && t.uart.isOpen, 2000, 'reopen after EIO');
    t.uart.inject(nmeaLine('GPRMC,120005,A,4807.038,N,01131.000,E,0.0,0.0,271126,,,A'));
    await waitFor(() => t.status.gnss === 'fix', 1000, 'fix after reopen');
    const states = t.lines.filter((l) => /receiver /.test(l));
    expect(states).toEqual([
      expect.stringMatching(/receiver no-data$/),
      expect.stringMatching(/receiver no-data -> no-fix/),
      expect.stringMatching(/receiver no-fix -> no-data \(nothing valid for 1 s\)/),
      expect.stringMatching(/receiver no-data -> fix/),
    ]);
    expect(t.lines.some((l) => /port \/dev\/mock0 silent -> failed \(\/dev\/mock0: device error\)/.test(l))).toBe(true);
  });

  it('never throws out of the reader on garbage from the port', async () => {
    const t = setup();
    stopMe = t.rx;
    t.rx.start();
    await waitFor(() => t.uart.isOpen, 1000, 'open');
    const junk = Buffer.alloc(50_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    t.uart.inject(junk);
    expect(t.rx.decoder.stats.garbageBytes).toBeGreaterThan(0);
    expect(t.fixes).toEqual([]);
  });
});
