import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimGpio } from '../../src/hal/sim/gpio.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { StatusLeds } from '../../src/status/leds.js';
import { Debouncer, Ignition } from '../../src/sensors/ignition.js';
import { Tach } from '../../src/sensors/tach.js';
import { silentLogger } from '../../src/base/log.js';
import type { Clock } from '../../src/base/clock.js';
import type { Logger } from '../../src/base/log.js';

const fakeClock: Clock = { now: () => Date.now(), wallNow: () => Date.now() };
const LINES = { gnss: { line: 5, activeLow: false }, link: { line: 6, activeLow: false }, fault: { line: 13, activeLow: true } };

/** Samples a line every 100 ms for `ms` and returns the physical levels. */
function trace(gpio: SimGpio, line: number, ms: number): string {
  let s = '';
  for (let t = 0; t < ms; t += 100) {
    s += String(gpio.level(line));
    vi.advanceTimersByTime(100);
  }
  return s;
}

describe('status LEDs', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('GNSS: off with no data, 1 Hz blink with no fix, solid with a fix', () => {
    const gpio = new SimGpio();
    const status = new StatusBoard();
    const leds = new StatusLeds(gpio, LINES, status, silentLogger());
    expect(trace(gpio, 5, 1000)).toBe('0000000000');
    status.setGnss('no-fix');
    const t = trace(gpio, 5, 3000);
    const runs = t.match(/1+|0+/g)!.slice(1, -1); // whole 500 ms half-periods
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const r of runs) expect(r).toHaveLength(5);
    status.setGnss('fix');
    expect(trace(gpio, 5, 1000)).toBe('1111111111');
    leds.stop();
  });

  it('LINK: solid online, slow flash offline, fast blink connecting; FAULT on while any component failed (active-low line)', () => {
    const gpio = new SimGpio();
    const status = new StatusBoard();
    const leds = new StatusLeds(gpio, LINES, status, silentLogger());
    status.setLink('online');
    expect(trace(gpio, 6, 1000)).toBe('1111111111');
    status.setLink('offline');
    const slow = trace(gpio, 6, 4000);
    expect(slow.split('1').length - 1).toBe(4); // 200 ms per 2 s
    status.setLink('connecting');
    expect(trace(gpio, 6, 1000)).toMatch(/^(10){5}$|^(01){5}$/);
    expect(gpio.level(13)).toBe(1); // active low: physical high = off
    status.setFault('sensor:battery', 'failed: nack');
    expect(gpio.level(13)).toBe(0);
    status.setFault('sensor:battery', null);
    expect(gpio.level(13)).toBe(1);
    leds.stop();
  });

  it('runs one timer only while something blinks, writes a line only on change, and turns everything off on stop', () => {
    const gpio = new SimGpio();
    const status = new StatusBoard();
    const leds = new StatusLeds(gpio, LINES, status, silentLogger());
    status.setGnss('fix');
    status.setLink('online');
    expect(vi.getTimerCount()).toBe(0);
    const w = leds.writes;
    vi.advanceTimersByTime(5000);
    expect(leds.writes).toBe(w);
    status.setGnss('no-fix');
    status.setLink('connecting');
    expect(vi.getTimerCount()).toBe(1);
    leds.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect([gpio.level(5), gpio.level(6), gpio.level(13)]).toEqual([undefined, undefined, undefined]); // released
  });

  it('all LEDs are off at stop even when lit (logical 0 written before release)', () => {
    const gpio = new SimGpio();
    const status = new StatusBoard();
    const writes: [number, number][] = [];
    const orig = gpio.output.bind(gpio);
    gpio.output = (line, opts) => {
      const o = orig(line, opts);
      return { ...o, write: (v) => (writes.push([line, v]), o.write(v)) };
    };
    const leds = new StatusLeds(gpio, LINES, status, silentLogger());
    status.setGnss('fix');
    status.setFault('x', 'y');
    writes.length = 0;
    leds.stop();
    expect(writes).toEqual(expect.arrayContaining([[5, 0], [13, 0]]));
  });

  it('a LED line that is busy is reported and the other LEDs still work', () => {
    const gpio = new SimGpio();
    gpio.output(6); // someone else holds the LINK line
    const status = new StatusBoard();
    const leds = new StatusLeds(gpio, LINES, status, silentLogger());
    expect(status.snapshot().faults['led:link']).toMatch(/EBUSY|in use/);
    status.setGnss('fix');
    expect(gpio.level(5)).toBe(1);
    leds.stop();
  });
});

describe('ignition input', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounce core: a level must hold for debounceMs before it counts', () => {
    const d = new Debouncer(false, 500, 0);
    d.feed(true, 100);
    expect(d.poll(599)).toBeNull();
    d.feed(false, 300); // bounce resets
    d.feed(true, 350);
    expect(d.poll(800)).toBeNull();
    expect(d.poll(850)).toBe(true);
    expect(d.state).toBe(true);
  });

  it('emits ignition on/off once per debounced change, ignores a 200 ms cranking dip, logs each change once', () => {
    const gpio = new SimGpio();
    gpio.drive(17, 1); // optocoupler: physical high = ignition off (active low)
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } as unknown as Logger;
    const status = new StatusBoard();
    const ign = new Ignition(gpio, { line: 17, activeLow: true, debounceMs: 500 }, fakeClock, log, status);
    const events: boolean[] = [];
    ign.on('ignition', (on: boolean) => events.push(on));
    expect(ign.state).toBe(false);
    gpio.drive(17, 0); // key on
    vi.advanceTimersByTime(499);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(events).toEqual([true]);
    gpio.drive(17, 1); // cranking dip
    vi.advanceTimersByTime(200);
    gpio.drive(17, 0);
    vi.advanceTimersByTime(2000);
    expect(events).toEqual([true]);
    gpio.drive(17, 1); // key off
    vi.advanceTimersByTime(600);
    expect(events).toEqual([true, false]);
    expect(lines).toEqual(['ignition off', 'ignition off -> on', 'ignition on -> off']);
    expect(status.snapshot().details.ignition).toBe(false);
    ign.stop();
  });
});

describe('tach', () => {
  it('rpm = pulses / pulses per rev over the window; 0 when the engine stops', () => {
    const gpio = new SimGpio();
    let t = 0;
    const tach = new Tach(gpio.input(27, { edge: 'both', activeLow: true }), 6, () => t);
    t = 1000;
    gpio.pulse(27, 150); // 150 pulses in 1 s at 6 per rev = 1500 rpm
    expect(tach.sample()).toBe(1500);
    t = 1100;
    expect(tach.sample()).toBeNull(); // window too short
    t = 3000;
    gpio.pulse(27, 140); // 140 pulses in 2 s = 700 rpm
    expect(tach.sample()).toBe(700);
    t = 4000;
    expect(tach.sample()).toBe(0);
  });

  it('a callback that reads the same level as the last one is two merged edges: the pulse is not lost', () => {
    const watchers: ((v: 0 | 1) => void)[] = [];
    const input = { line: 27, read: () => 0 as const, watch: (cb: (v: 0 | 1) => void) => void watchers.push(cb), close: () => undefined };
    const tach = new Tach(input, 1, () => 0);
    // rise, fall, (rise+fall merged: reads 0 again), rise, fall
    for (const v of [1, 0, 0, 1, 0] as const) watchers[0]!(v);
    expect(tach.count).toBe(3);
  });
});
