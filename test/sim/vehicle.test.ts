import { describe, expect, it } from 'vitest';
import { SimVehicle } from '../../src/sim/vehicle.js';
import { hubRig } from '../sensors/rig.js';

describe('simulated truck', () => {
  it('values move plausibly over a drive: coolant warms toward the thermostat, oil pressure falls as it thins, fuel drops, rpm follows the cycle', () => {
    const v = new SimVehicle(0, 6);
    const at = (s: number) => ({ ...v.update(s * 1000), tyresKpa: [...v.state.tyresKpa] });
    const start = at(1);
    const rpms: number[] = [];
    for (let s = 2; s <= 600; s++) rpms.push(at(s).rpm);
    const tenMin = at(601);
    for (let s = 602; s <= 1800; s++) at(s);
    const thirty = at(1801);
    expect(start.coolantC).toBeLessThan(15);
    expect(tenMin.coolantC).toBeGreaterThan(60);
    expect(thirty.coolantC).toBeGreaterThan(84);
    expect(thirty.coolantC).toBeLessThan(92);
    expect(Math.min(...rpms)).toBeGreaterThan(600);
    expect(Math.max(...rpms)).toBeGreaterThan(1600);
    expect(Math.max(...rpms)).toBeLessThan(2000);
    expect(thirty.fuelPct).toBeLessThan(start.fuelPct);
    expect(thirty.batteryV).toBeGreaterThan(27);
    expect(thirty.tyresKpa[0]).toBeGreaterThan(start.tyresKpa[0]!); // warm tyres
    v.ignitionOn = false;
    for (let s = 1802; s <= 1900; s++) at(s);
    const off = at(1901);
    expect(off.rpm).toBeLessThan(1);
    expect(off.oilKpa).toBeLessThan(1);
    expect(off.batteryV).toBeLessThan(25.5);
  });

  it('the hub reads those values through the register models and the board scaling', async () => {
    const r = hubRig();
    await r.run(2000);
    const a = r.hub.latest();
    r.sim.vehicle.update(r.clock.now());
    const s = r.sim.vehicle.state;
    expect(Math.abs(a.batteryMv! / 1000 - s.batteryV)).toBeLessThan(0.5); // charging: moves within the 1 s period
    expect(a.coolantDc! / 10).toBeCloseTo(s.coolantC, 0);
    expect(Math.abs(a.oilKpa! - s.oilKpa)).toBeLessThan(5);
    expect(Math.abs(a.fuelPm! / 10 - s.fuelPct)).toBeLessThan(0.5);
    expect(a.tyresKpa!.map((k, i) => Math.abs(k! - s.tyresKpa[i]!) < 2)).toEqual([true, true, true, true, true, true]);
    expect(r.status.snapshot().details.sensors).toMatchObject({ battery: 'ok', cabin: 'ok', 'tyre-front-left': 'ok' });
  });
});
