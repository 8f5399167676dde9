import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/hal/board.js';
import { uartFor } from '../../src/agent/gnss-source.js';
import { SimUart } from '../../src/hal/sim/uart.js';
import { linuxUart } from '../../src/hal/linux/uart.js';

const tmp = mkdtempSync(join(tmpdir(), 'gnss-board-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('board UART section', () => {
  it('a sim board may name a capture relative to the board file, with a speed', () => {
    const f = join(tmp, 'replay.json');
    writeFileSync(f, JSON.stringify({ name: 'replay', simulated: true, uart: { path: 'sim', capture: 'caps/drive.nmea', speed: 10 } }));
    const src = uartFor(loadBoard(f, tmp));
    expect(src.uart).toBeInstanceOf(SimUart);
    expect(src.capture).toBe(join(tmp, 'caps/drive.nmea'));
  });

  it('command-line overrides win over the board, and real boards get serialport', () => {
    const f = join(tmp, 'replay2.json');
    writeFileSync(f, JSON.stringify({ name: 'replay', simulated: true, uart: { path: 'sim', capture: 'a.nmea' } }));
    expect(uartFor(loadBoard(f, tmp), { capture: '/x/b.nmea' }).capture).toBe('/x/b.nmea');
    expect(uartFor(loadBoard('pi4-fleet', tmp)).uart).toBe(linuxUart);
  });

  it('rejects an out-of-range generator rate naming the file and key', () => {
    const f = join(tmp, 'bad.json');
    writeFileSync(f, JSON.stringify({ name: 'bad', simulated: true, uart: { path: 'sim', rateHz: 20 } }));
    expect(() => loadBoard(f, tmp)).toThrow(`${f}: key 'uart.rateHz': 20 is out of range: expected in 1..10`);
  });
});
