import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, type TelemetryRecord } from '../../src/codec/index.js';
import { FAULT, faultNames } from '../../src/sensors/faults.js';
import { scaleInverse } from '../../src/sensors/scaling.js';
import type { SimAds1115 } from '../../src/sensors/sim/ads1115.js';
import type { SimAbp } from '../../src/sensors/sim/abp.js';
import { hubRig } from './rig.js';

const base: TelemetryRecord = { seq: 1, timeMs: Date.UTC(2026, 10, 27, 12), lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null, mode: 1, sats: null, hdopC: null };

describe('hub output in the telemetry codec', () => {
  it('every record over a 10-minute drive with faults coming and going encodes and decodes unchanged', async () => {
    const r = hubRig();
    const tyre = r.sim.chips.get('tyre:rear-right-outer')!;
    let n = 0;
    for (let s = 0; s < 600; s++) {
      if (s === 100) r.sim.bus.fault(tyre, { kind: 'nack' });
      if (s === 300) r.sim.bus.clearFault(tyre);
      if (s === 400) (r.sim.chips.get('tyre:front-left') as SimAbp).stuck = true;
      await r.run(1000, 250);
      const rec = { ...base, seq: ++n, ...r.hub.latest() };
      expect(decodeRecord(encodeRecord(rec))).toEqual(rec);
    }
    expect(n).toBe(600);
  });

  it('readings the schema cannot carry (fuel 105 %, oil below 0 kPa) are absent with their range bit, not clamped', async () => {
    const r = hubRig();
    const adc = r.sim.chips.get('engine-adc') as SimAds1115;
    const analog = r.board.i2c!.analog!;
    const orig = adc.volts;
    adc.noiseLsb = 0;
    adc.volts = (ain) => (ain === 1 ? scaleInverse(analog.fuel!.scale, 105) : ain === 2 ? scaleInverse(analog.oil!.scale, -60) : orig(ain));
    await r.run(1000);
    const v = r.hub.latest();
    expect(v.fuelPm).toBeUndefined();
    expect(v.oilKpa).toBeUndefined();
    expect(v.batteryMv).toBeGreaterThan(20_000);
    expect(faultNames(v.faults!)).toEqual(['fuelRange', 'oilRange']);
    // back in range: carried as measured, flag cleared
    adc.volts = (ain) => (ain === 1 ? scaleInverse(analog.fuel!.scale, 99.5) : orig(ain));
    await r.run(1000);
    expect(r.hub.latest().fuelPm).toBe(995);
    expect(r.hub.latest().faults! & FAULT.fuelRange).toBe(0);
    expect(() => encodeRecord({ ...base, ...r.hub.latest() })).not.toThrow();
  });
});
