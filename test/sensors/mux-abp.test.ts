import { describe, expect, it } from 'vitest';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { I2cError } from '../../src/hal/i2c.js';
import { Tca9548a } from '../../src/sensors/chips/tca9548a.js';
import { Abp, abpPressure, decodeAbp } from '../../src/sensors/chips/abp.js';
import { SimTca9548a } from '../../src/sensors/sim/tca9548a.js';
import { SimAbp } from '../../src/sensors/sim/abp.js';
import { ManualClock } from '../../src/base/clock.js';

describe('TCA9548A switch', () => {
  it('selecting channel n writes the single control byte 1<<n and only then is the device behind it reachable', async () => {
    const bus = new SimI2cBus('t', 50);
    const sw = new SimTca9548a();
    bus.attach(0x70, sw);
    const clock = new ManualClock(1000);
    sw.attach(3, 0x28, new SimAbp(() => clock.now(), () => 500, 0, 1000));
    const mux = new Tca9548a(bus, 0x70);
    await expect(bus.read(0x28, 2)).rejects.toMatchObject({ kind: 'nack' }); // power-up: all channels off
    expect(await mux.readControl()).toBe(0x00);
    await mux.select(3);
    expect(bus.transcript.at(-1)).toEqual({ addr: 0x70, write: [0x08] });
    expect(await mux.readControl()).toBe(0x08);
    expect((await bus.read(0x28, 2)).length).toBe(2);
    await mux.select(7);
    expect(bus.transcript.at(-1)).toEqual({ addr: 0x70, write: [0x80] });
    await mux.disableAll();
    expect(bus.transcript.at(-1)).toEqual({ addr: 0x70, write: [0x00] });
  });

  it('does not rewrite the control byte when the channel is already selected, and rewrites it after a fault', async () => {
    const bus = new SimI2cBus('t', 50);
    const sw = new SimTca9548a();
    bus.attach(0x70, sw);
    const mux = new Tca9548a(bus, 0x70);
    await mux.withChannel(2, async () => 1);
    await mux.withChannel(2, async () => 1);
    expect(sw.writes).toEqual([0x04]);
    await expect(mux.withChannel(2, async () => Promise.reject(new Error('sensor failed')))).rejects.toThrow('sensor failed');
    await mux.withChannel(2, async () => 1);
    expect(sw.writes).toEqual([0x04, 0x04]);
  });

  it('identical sensors at 0x28 on six channels read their own values, never colliding', async () => {
    const clock = new ManualClock(1000);
    const bus = new SimI2cBus('t', 50);
    const sw = new SimTca9548a();
    bus.attach(0x70, sw);
    const kpa = [800, 810, 820, 830, 840, 850];
    kpa.forEach((p, ch) => sw.attach(ch, 0x28, new SimAbp(() => clock.now(), () => p, 0, 1034.2)));
    const mux = new Tca9548a(bus, 0x70);
    const abp = new Abp(bus, 0x28, 0, 1034.2);
    const got = await Promise.all(kpa.map((_, ch) => mux.withChannel(ch, () => abp.read())));
    expect(got.map((r) => Math.round(r.pressure))).toEqual(kpa);
  });

  it('two channels enabled at once with the same address is a bus collision (io), which is why only one is ever enabled', async () => {
    const clock = new ManualClock(1000);
    const bus = new SimI2cBus('t', 50);
    const sw = new SimTca9548a();
    bus.attach(0x70, sw);
    sw.attach(0, 0x28, new SimAbp(() => clock.now(), () => 1, 0, 10));
    sw.attach(1, 0x28, new SimAbp(() => clock.now(), () => 2, 0, 10));
    await bus.write(0x70, Uint8Array.of(0x03));
    const err = await bus.read(0x28, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cError);
    expect((err as I2cError).kind).toBe('io');
  });
});

describe('Honeywell ABP decoding', () => {
  it('10 % and 90 % of 2^14 counts are Pmin and Pmax (1638 and 14745)', () => {
    expect(abpPressure(1638, 0, 1034.2)).toBe(0);
    expect(abpPressure(14745, 0, 1034.2)).toBeCloseTo(1034.2, 9);
    expect(abpPressure(8191.5, -100, 100)).toBeCloseTo(0, 9);
  });

  it('status bits 15:14 and 14-bit counts: 0x06 0x66 is normal 1638; 0x86 0x66 is stale; 0xC0 is diagnostic', () => {
    expect(decodeAbp(Uint8Array.of(0x06, 0x66), 0, 100)).toMatchObject({ status: 'normal', counts: 1638, pressure: 0 });
    expect(decodeAbp(Uint8Array.of(0x86, 0x66), 0, 100)).toMatchObject({ status: 'stale', counts: 1638 });
    expect(decodeAbp(Uint8Array.of(0x40, 0x00), 0, 100).status).toBe('command');
    expect(decodeAbp(Uint8Array.of(0xc0, 0x00), 0, 100).status).toBe('diagnostic');
    expect(decodeAbp(Uint8Array.of(0x3f, 0xff), 0, 100).counts).toBe(16383);
  });

  it('11-bit temperature from bytes 3 and 4 (T[10:3], T[2:0] in bits 7:5): 0x66 0x60 = 819 -> 30.0 °C', () => {
    // 819 = 0b01100110011 -> byte3 0b01100110 = 0x66, byte4 0b011_00000 = 0x60
    const r = decodeAbp(Uint8Array.of(0x1f, 0xff, 0x66, 0x60), 0, 100);
    expect(r.temperatureC).toBeCloseTo((819 / 2047) * 200 - 50, 9);
    // the 5 don't-care bits are ignored
    expect(decodeAbp(Uint8Array.of(0x1f, 0xff, 0x66, 0x7f), 0, 100).temperatureC).toBe(r.temperatureC);
  });

  it('reading twice within one update gives stale status with the same counts; the driver reports it, does not throw', async () => {
    const clock = new ManualClock(1000);
    const bus = new SimI2cBus('t', 50);
    bus.attach(0x28, new SimAbp(() => clock.now(), () => 517.1, 0, 1034.2));
    const abp = new Abp(bus, 0x28, 0, 1034.2);
    const a = await abp.read();
    const b = await abp.read();
    expect(a.status).toBe('normal');
    expect(b.status).toBe('stale');
    expect(b.counts).toBe(a.counts);
    expect(bus.transcript.at(-1)!.read![0]! >> 6).toBe(0b10);
    clock.advance(5);
    expect((await abp.read()).status).toBe('normal');
  });

  it('a diagnostic condition (status 11) is an error, not a pressure', async () => {
    const clock = new ManualClock(1000);
    const bus = new SimI2cBus('t', 50);
    const dev = new SimAbp(() => clock.now(), () => 500, 0, 1034.2);
    dev.diagnostic = true;
    bus.attach(0x28, dev);
    await expect(new Abp(bus, 0x28, 0, 1034.2).read()).rejects.toThrow(/diagnostic condition/);
  });
});
