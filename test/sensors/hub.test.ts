import { describe, expect, it } from 'vitest';
import { hubRig, realHubRig } from './rig.js';
import { FAULT, faultNames } from '../../src/sensors/faults.js';
import type { SimAds1115 } from '../../src/sensors/sim/ads1115.js';
import type { SimAbp } from '../../src/sensors/sim/abp.js';
import type { SimBme280 } from '../../src/sensors/sim/bme280.js';
import { scaleInverse } from '../../src/sensors/scaling.js';

const VEHICLE_FIELDS = ['batteryMv', 'rpm', 'coolantDc', 'oilKpa', 'fuelPm', 'tyresKpa', 'cabinDc', 'humidityPm', 'ignition', 'faults'];

describe('SensorHub schedule and expiry', () => {
  it('reads engine inputs every second, tyres every 10 s, cabin every 30 s (no drift from read time)', async () => {
    const r = hubRig();
    const adc = r.sim.chips.get('engine-adc') as SimAds1115;
    const fl = r.sim.chips.get('tyre:front-left') as SimAbp;
    const cabin = r.sim.chips.get('cabin') as SimBme280;
    await r.run(60_000);
    expect(adc.conversions).toBe(4 * 60); // 4 channels, t = 0..59 s
    expect(fl.reads).toBe(6);
    expect(cabin.measurements).toBe(2);
  });

  it('output has exactly the TelemetryRecord vehicle fields, as integers at schema resolution', async () => {
    const r = hubRig();
    await r.run(2000);
    const v = r.hub.latest();
    for (const k of Object.keys(v)) expect(VEHICLE_FIELDS).toContain(k);
    for (const k of ['batteryMv', 'coolantDc', 'oilKpa', 'fuelPm', 'cabinDc', 'humidityPm'] as const) expect(Number.isInteger(v[k])).toBe(true);
    expect(v.tyresKpa).toHaveLength(6);
    expect(v.batteryMv! / 1000).toBeGreaterThan(24);
    expect(v.faults).toBe(0);
  });

  it('a value older than expiryPeriods x period is absent, not stale', async () => {
    const r = hubRig();
    await r.run(1000);
    expect(r.hub.latest().tyresKpa![0]).toBeTypeOf('number');
    r.sim.bus.fault(r.sim.chips.get('tyre:front-left')!, { kind: 'nack' });
    await r.run(25_000);
    expect(r.hub.sensors()[4]).toMatchObject({ name: 'tyre-front-left', valueAgeMs: expect.toSatisfy((a: number) => a > 25_000 && a < 30_000) });
    expect(r.hub.latest().tyresKpa![0]).toBeTypeOf('number'); // still within 3 x 10 s
    await r.run(6000);
    const v = r.hub.latest();
    expect(v.tyresKpa![0]).toBeNull();
    expect(v.tyresKpa![1]).toBeTypeOf('number');
    expect(v.faults! & FAULT.tyres).toBe(FAULT.tyres);
  });
});

describe('SensorHub faults', () => {
  it('NACK: retried with doubling backoff, failed after 3 with one log line and a StatusBoard fault; recovers with one line when it answers', async () => {
    const r = hubRig({ retryMs: 500, maxBackoffMs: 8000 });
    await r.run(1000);
    const adc = r.sim.chips.get('engine-adc')!;
    r.sim.bus.fault(adc, { kind: 'nack' });
    const before = r.sim.bus.transactions;
    await r.run(20_000, 50);
    expect(r.sim.bus.transactions).toBeGreaterThan(before); // tyres, cabin still read
    const failedLines = r.msgs().filter((m) => /^sensor battery .*failed/.test(m));
    expect(failedLines).toEqual([expect.stringMatching(/sensor battery ok -> failed \(.*nack/)]);
    expect(r.status.snapshot().faults['sensor:battery']).toMatch(/failed: .*nack/);
    const bits = r.hub.latest().faults!;
    expect(faultNames(bits)).toEqual(expect.arrayContaining(['battery', 'fuel', 'oil', 'coolant']));
    expect(r.hub.latest().batteryMv).toBeUndefined(); // expired after 3 s
    const view = r.hub.sensors().find((s) => s.name === 'battery')!;
    // 500, 1000, 2000, 4000, 8000, 8000 ...: about 7 attempts in 20 s, not 40
    expect(view.failures).toBeGreaterThanOrEqual(5);
    expect(view.failures).toBeLessThanOrEqual(8);

    r.sim.bus.clearFault(adc);
    await r.run(10_000, 50);
    expect(r.msgs().filter((m) => /^sensor battery failed -> ok/.test(m))).toHaveLength(1);
    expect(r.msgs().filter((m) => /^sensor battery/.test(m))).toHaveLength(3); // ok, failed, ok
    expect(r.status.snapshot().faults).toEqual({});
    expect(r.hub.latest().faults).toBe(0);
    expect(r.hub.latest().batteryMv).toBeGreaterThan(20_000);
  });

  it('two EIO errors then success: retried, never marked failed, no warning', async () => {
    const r = hubRig({ failAfter: 3 });
    await r.run(1000);
    r.sim.bus.fault(r.sim.chips.get('cabin')!, { kind: 'eio' }, 2);
    const cabin = r.sim.chips.get('cabin') as SimBme280;
    const before = cabin.measurements;
    await r.hub.sampleAll(); // attempt 1 fails
    expect(r.hub.sensors().find((s) => s.name === 'cabin')).toMatchObject({ failures: 1 });
    await r.run(1000); // attempt 2 (after ~500 ms) fails
    expect(r.hub.sensors().find((s) => s.name === 'cabin')).toMatchObject({ failures: 2 });
    await r.run(2000); // attempt 3 (after ~1 s more) succeeds
    expect(r.hub.sensors().find((s) => s.name === 'cabin')).toMatchObject({ state: 'ok', failures: 0 });
    expect(cabin.measurements).toBe(before + 1);
    expect(r.msgs().some((m) => /cabin .*failed/.test(m))).toBe(false);
    expect(r.status.faulted).toBe(false);
  });

  it('a hung tyre transaction times out; the bus is held until the adapter aborts it, then everyone else reads again, none marked failed', async () => {
    const r = hubRig({}, 20);
    r.sim.bus.hangMs = 60; // adapter timeout (real ms)
    await r.run(100);
    const fl = r.sim.chips.get('tyre:front-left')!;
    r.sim.bus.fault(fl, { kind: 'hang' }, 1);
    const t0 = performance.now();
    await r.hub.sampleAll();
    expect(performance.now() - t0).toBeLessThan(2000); // bounded by the 20 ms bus timeout, not the hang
    expect(r.hub.sensors().find((s) => s.name === 'tyre-front-left')!.lastError).toMatch(/timeout/);
    await new Promise((res) => setTimeout(res, 100)); // the adapter gives up; the bus is free
    r.sim.bus.clearTranscript();
    await r.run(5000);
    const views = r.hub.sensors();
    for (const s of views) expect(s, s.name).toMatchObject({ state: 'ok', failures: 0 });
    expect(r.status.faulted).toBe(false);
    // the switch byte for the front-left channel is written again before its next read
    expect(r.sim.bus.transcript.find((e) => e.addr === 0x70 && e.write?.[0] === 0x01)).toBeDefined();
  });

  it('a tyre sensor that hangs the bus on every read: backoff keeps the bus free for the engine inputs (real time, 3 s)', async () => {
    const r = realHubRig({ engineMs: 100, tyresMs: 100, retryMs: 20, maxBackoffMs: 1000, expiryPeriods: 5 }, 10);
    r.sim.bus.hangMs = 30; // each attempt holds the bus for 30 ms
    r.sim.bus.fault(r.sim.chips.get('tyre:front-left')!, { kind: 'hang' });
    r.hub.start();
    let present = 0;
    let polls = 0;
    await new Promise((res) => setTimeout(res, 300));
    for (; polls < 54; polls++) {
      await new Promise((res) => setTimeout(res, 50));
      if (r.hub.latest().batteryMv !== undefined) present++;
    }
    await r.hub.stop();
    expect(present / polls).toBeGreaterThan(0.85);
    const views = r.hub.sensors();
    expect(views.find((s) => s.name === 'tyre-front-left')!.state).toBe('failed');
    expect(views.find((s) => s.name === 'battery')!.state).toBe('ok');
    expect(r.hub.latest().faults).toBe(FAULT.tyres);
  });

  it('a tyre sensor that only returns stale data is marked stale after 3 reads; its value then expires', async () => {
    const r = hubRig({ staleAfter: 3 });
    await r.run(100);
    (r.sim.chips.get('tyre:rear-left-inner') as SimAbp).stuck = true;
    await r.run(35_000);
    const v = r.hub.latest();
    expect(v.faults! & FAULT.stale).toBe(FAULT.stale);
    expect(v.faults! & FAULT.tyres).toBe(0); // answering, just not updating
    expect(v.tyresKpa![3]).toBeNull();
    expect(v.tyresKpa![2]).toBeTypeOf('number');
    expect(r.status.snapshot().faults['sensor:tyre-rear-left-inner']).toMatch(/stale/);
  });

  it('out-of-range readings keep their measured value and set the range bit (170 °C coolant, 45 V battery)', async () => {
    const r = hubRig();
    const adc = r.sim.chips.get('engine-adc') as SimAds1115;
    const orig = adc.volts;
    const coolant = r.board.i2c!.analog!.coolant!.scale;
    adc.volts = (ain) => (ain === 3 ? scaleInverse(coolant, 170) : ain === 0 ? 45 / 11 : orig(ain));
    adc.noiseLsb = 0;
    await r.run(1000);
    const v = r.hub.latest();
    expect(v.coolantDc).toBeGreaterThan(1690);
    expect(v.coolantDc).toBeLessThan(1710);
    expect(v.batteryMv).toBeGreaterThan(44_900);
    expect(faultNames(v.faults!)).toEqual(['batteryRange', 'coolantRange']);
    expect(r.msgs().filter((m) => m.startsWith('sensor coolant'))).toEqual([expect.stringMatching(/^sensor coolant out-of-range \(coolantDc=1\d{3}: outside the physical range, reported as measured\)$/)]);
    expect(r.status.faulted).toBe(false); // flagged in records, not a failed component
  });

  it('an open NTC (input at the pull-up reference) gives no number but a range flag', async () => {
    const r = hubRig();
    const adc = r.sim.chips.get('engine-adc') as SimAds1115;
    const orig = adc.volts;
    adc.volts = (ain) => (ain === 3 ? 3.3 : orig(ain));
    adc.noiseLsb = 0;
    await r.run(1000);
    const v = r.hub.latest();
    expect(v.coolantDc === undefined || v.coolantDc < -400).toBe(true);
    expect(v.faults! & FAULT.coolantRange).toBe(FAULT.coolantRange);
  });
});
