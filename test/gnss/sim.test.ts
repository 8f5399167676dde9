import { describe, expect, it } from 'vitest';
import { NmeaGenerator, formatCoord } from '../../src/gnss/sim/generator.js';
import { NmeaDecoder } from '../../src/gnss/decoder.js';
import { FIRST_ROLLOVER } from '../../src/gnss/date.js';
import type { Fix } from '../../src/gnss/fix.js';
import { SimUart, replaySchedule } from '../../src/hal/sim/uart.js';
import { simReceiverUart } from '../../src/gnss/sim/uart.js';
import { sharedData } from '../support/shared.js';
import { readFileSync } from 'node:fs';

const T0 = Date.UTC(2026, 10, 27, 23, 40);

function drive(rateHz: number, seconds: number): { fixes: Fix[]; dec: NmeaDecoder } {
  const gen = new NmeaGenerator({ rateHz, startMs: T0, seed: 9 });
  const dec = new NmeaDecoder(FIRST_ROLLOVER);
  const fixes: Fix[] = [];
  const emit = (f: Fix): void => void fixes.push(f);
  for (let i = 0; i < seconds * rateHz; i++) dec.push(Buffer.from(gen.next().text, 'latin1'), emit);
  dec.end(emit);
  return { fixes, dec };
}

describe('NMEA route generator (sim board)', () => {
  const { fixes, dec } = drive(1, 1500);

  it('writes only sentences with correct checksums that all decode', () => {
    const s = dec.stats;
    expect(s.badChecksum + s.noChecksum + s.truncated + s.overlong + s.malformed + s.unknown + s.garbageBytes).toBe(0);
    expect(s.frames).toBeGreaterThan(1500 * 7);
  });

  it('has one epoch per period across midnight, with GNSS dates rolling over', () => {
    expect(fixes).toHaveLength(1500);
    for (let i = 1; i < fixes.length; i++) expect(fixes[i]!.timeMs - fixes[i - 1]!.timeMs).toBe(1000);
    expect(new Date(fixes.at(-1)!.timeMs).toISOString().slice(0, 10)).toBe('2026-11-28');
  });

  it('drives a realistic speed profile: bounded acceleration, limits, stops', () => {
    const v = fixes.filter((f) => f.mode > 1).map((f) => f.speed!);
    expect(Math.max(...v)).toBeGreaterThan(60 / 3.6);
    expect(Math.max(...v)).toBeLessThan(72 / 3.6);
    for (let i = 1; i < fixes.length; i++) {
      const a = fixes[i - 1]!, b = fixes[i]!;
      if (a.speed !== null && b.speed !== null) expect(Math.abs(b.speed - a.speed)).toBeLessThan(3.8);
    }
    // a stop long enough to be stationary (the 400 s delivery)
    let run = 0, longest = 0;
    for (const f of fixes) {
      run = f.speed !== null && f.speed < 0.5 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThan(390);
  });

  it('turns: the course changes by about 90 degrees at corners', () => {
    const courses = new Set(fixes.filter((f) => f.course !== null && f.speed! > 3).map((f) => Math.round(f.course! / 45) * 45 % 360));
    expect(courses.size).toBeGreaterThanOrEqual(4);
  });

  it('has a tunnel stretch: consecutive no-fix epochs with time running on, then the fix returns', () => {
    const runs: [number, number][] = [];
    fixes.forEach((f, i) => {
      if (f.mode !== 1) return;
      const last = runs.at(-1);
      if (last && last[1] === i - 1) last[1] = i;
      else runs.push([i, i]);
    });
    // 1500 s covers the round (about 20 min) once and the tunnel again on the second lap
    expect(runs.length).toBe(2);
    for (const [a, b] of runs) {
      expect(b - a + 1).toBeGreaterThan(20);
      expect(fixes[a - 1]!.mode).toBe(3);
      expect(fixes[b + 1]!.mode).toBe(3);
      expect(fixes[a]).toMatchObject({ lat: null, quality: 0, sats: 0 });
    }
  });

  it('runs at 1 to 10 Hz', () => {
    for (const hz of [2, 5, 10]) {
      const r = drive(hz, 3);
      expect(r.fixes).toHaveLength(3 * hz);
      expect(r.fixes[1]!.timeMs - r.fixes[0]!.timeMs).toBe(1000 / hz);
    }
    expect(() => new NmeaGenerator({ rateHz: 11, startMs: 0 })).toThrow(/1\.\.10/);
  });

  it('formats coordinates as ddmm.mmmmm with carry at 60 minutes', () => {
    expect(formatCoord(48.137154, true)).toBe('4808.22924,N');
    expect(formatCoord(-11.9999999999, false)).toBe('01200.00000,W');
  });
});

describe('sim UART replay', () => {
  it('schedules a capture by its own UTC times (real timing)', () => {
    const bytes = readFileSync(sharedData('gpsd', 'bt451.log'));
    const s = replaySchedule(bytes);
    expect(Buffer.concat(s.map((b) => b.chunk)).equals(bytes)).toBe(true); // every byte, in order
    const delays = s.slice(1).map((b) => b.delayMs);
    expect(delays.filter((d) => d === 500).length).toBeGreaterThan(5); // this u-blox runs at 2 Hz
  });

  it('replays faster with speed and delivers the capture bytes', async () => {
    const uart = simReceiverUart({ capture: sharedData('gpsd', 'ublox-neo-m9n-nmea.log'), speed: 50 });
    const chunks: Buffer[] = [];
    const t0 = performance.now();
    const port = await uart.open({ path: 'sim', baudRate: 9600 }, { data: (c) => chunks.push(c), error: () => {} });
    await new Promise((r) => setTimeout(r, 300));
    await port.close();
    const got = Buffer.concat(chunks);
    // 300 ms at 50x = 15 s of receiver time: about 15 of the 67 one-second epochs
    const epochs = got.toString('latin1').match(/\$GNRMC/g)?.length ?? 0;
    expect(epochs).toBeGreaterThanOrEqual(5);
    expect(epochs).toBeLessThan(40);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('fails to open a missing capture with a UartError naming it', async () => {
    const uart = simReceiverUart({ capture: '/nonexistent/capture.nmea' });
    await expect(uart.open({ path: 'sim', baudRate: 9600 }, { data: () => {}, error: () => {} })).rejects.toThrow(/capture \/nonexistent\/capture.nmea/);
  });
});

describe('sim UART across reopen', () => {
  it('continues a replay where it was instead of starting over (GNSS time never runs backwards)', async () => {
    const uart = simReceiverUart({ capture: sharedData('gpsd', 'bt451.log'), speed: 1000 });
    const first: Buffer[] = [];
    const p1 = await uart.open({ path: 'sim', baudRate: 9600 }, { data: (c) => first.push(c), error: () => {} });
    await new Promise((r) => setTimeout(r, 30));
    await p1.close();
    const second: Buffer[] = [];
    const p2 = await uart.open({ path: 'sim', baudRate: 9600 }, { data: (c) => second.push(c), error: () => {} });
    await new Promise((r) => setTimeout(r, 200));
    await p2.close();
    const all = Buffer.concat([...first, ...second]);
    expect(first.length).toBeGreaterThan(0);
    expect(all.equals(readFileSync(sharedData('gpsd', 'bt451.log')))).toBe(true);
  });
});

describe('sim receiver in real time (the demo and the sim board)', () => {
  /** RMC times in the chunks, with the wall clock at delivery. */
  async function listen(uart: SimUart, ms: number): Promise<{ fixMs: number; atMs: number }[]> {
    const got: { fixMs: number; atMs: number }[] = [];
    const port = await uart.open({ path: 'sim', baudRate: 9600 }, {
      data: (c) => {
        const m = /\$GNRMC,(\d\d)(\d\d)(\d\d)\.(\d\d)/.exec(c.toString('latin1'));
        if (!m) return;
        const now = Date.now();
        const d = new Date(now);
        let fixMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), +m[1]!, +m[2]!, +m[3]!, +m[4]! * 10);
        if (fixMs - now > 43_200_000) fixMs -= 86_400_000; // delivered just after midnight
        got.push({ fixMs, atMs: now });
      },
      error: () => {},
    });
    await new Promise((r) => setTimeout(r, ms));
    await port.close();
    return got;
  }

  it('reports each epoch just after it, whenever the port was opened (a fix time says when it was measured)', async () => {
    // open 600 ms into a second: a receiver reports the next whole second's epoch
    // shortly after it, not the past second's 600 ms late
    while (Date.now() % 1000 < 550 || Date.now() % 1000 >= 650) await new Promise((r) => setTimeout(r, 5));
    const got = await listen(simReceiverUart({ rateHz: 1 }), 2500);
    expect(got.length).toBeGreaterThanOrEqual(2);
    for (const g of got) {
      expect(g.atMs).toBeGreaterThanOrEqual(g.fixMs); // never a fix before its epoch
      expect(g.atMs - g.fixMs).toBeLessThan(500); // 50 ms after the epoch, with room for a slow timer
    }
    for (let i = 1; i < got.length; i++) expect(got[i]!.fixMs - got[i - 1]!.fixMs).toBe(1000);
  });

  it('after a reopen, skips the epochs that passed while closed instead of bursting them out', async () => {
    const uart = simReceiverUart({ rateHz: 10 });
    await listen(uart, 300);
    await new Promise((r) => setTimeout(r, 1000));
    const got = await listen(uart, 400);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(6); // 400 ms at 10 Hz, not the 10 epochs missed while closed as well
    for (const g of got) expect(g.atMs - g.fixMs).toBeLessThan(1000);
  });
});
