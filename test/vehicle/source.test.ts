import { describe, expect, it } from 'vitest';
import { SimCanNetwork } from '../../src/hal/sim/can.js';
import { silentLogger } from '../../src/base/log.js';
import { SimVehicle } from '../../src/sim/vehicle.js';
import { ManualClock, systemClock } from '../../src/base/clock.js';
import { CanVehicleSource, type CanBoard, type Timers } from '../../src/vehicle/source.js';
import { SimJ1939Truck } from '../../src/vehicle/sim/j1939-truck.js';
import { SimObdEcu } from '../../src/vehicle/sim/obd-ecu.js';
import { attachObdEcu } from '../../src/vehicle/sim/obd-car.js';
import { waitFor } from '../support/wait.js';

const J1939: CanBoard = { iface: 'can0', protocol: 'j1939', bitrate: 250_000, transmit: false, staleMs: 5000, controller: undefined };
const flush = () => new Promise((r) => setImmediate(r));

/** Timers that fire only when the test says (for reopen backoff). */
class StepTimers implements Timers {
  pending: { fn: () => void; ms: number }[] = [];
  set(fn: () => void, ms: number): unknown {
    const t = { fn, ms };
    this.pending.push(t);
    return t;
  }
  clear(h: unknown): void {
    this.pending = this.pending.filter((t) => t !== h);
  }
  fire(): void {
    const p = this.pending.splice(0);
    for (const t of p) t.fn();
  }
}

function truckRig() {
  const clock = new ManualClock(0);
  const net = new SimCanNetwork(() => clock.wallNow());
  const vehicle = new SimVehicle(0, 4);
  vehicle.skipCycle(300);
  const truck = new SimJ1939Truck(net, 'can0', () => vehicle.update(clock.now()), () => clock.now());
  const timers = new StepTimers();
  const src = new CanVehicleSource(net, J1939, clock, silentLogger(), null, timers);
  return { clock, net, vehicle, truck, src, timers };
}

async function drive(r: ReturnType<typeof truckRig>, ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    r.clock.advance(100);
    r.truck.step();
    await flush();
  }
}

describe('CAN vehicle source on a simulated J1939 truck', () => {
  it('listens (never writes) and fills every value from the bus, physically consistent', async () => {
    const r = truckRig();
    await r.src.start();
    await drive(r, 120);
    const v = r.src.snapshot();
    expect(v.engineRpm).toBeGreaterThan(1400);
    expect(v.engineRpm).toBeLessThan(1600);
    // Motorway: top gear, speed in line with rpm, fuel and temperatures in range.
    expect(v.gear).toBe(12);
    expect(v.speedKmh).toBeCloseTo(SimJ1939Truck.drive(v.engineRpm!).speedKmh, 0);
    expect(v.fuelLevelPct).toBeGreaterThan(0);
    expect(v.fuelLevelPct).toBeLessThanOrEqual(100);
    expect(v.coolantC).toBeGreaterThan(-40);
    expect(v.coolantC).toBeLessThan(120);
    expect(v.fuelRateLph).toBeGreaterThan(2);
    expect(v.totalDistanceKm).toBeGreaterThan(183_420);
    expect(v.fuelUsedL).toBeGreaterThan(61_234);
    expect(v.engineHours).toBeGreaterThan(7812);
    expect(v.tires!.map((t) => [t.axle, t.position])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(v.vin).toBe('YS2R4X20005399401');
    expect(v.dtcs).toEqual([]);
    expect(r.src.stats.answered).toMatchObject({ EEC1: 120, CCVS: 120, VI: 2 });
  });

  it('reassembles a multi-code DM1 sent by TP.BAM', async () => {
    const r = truckRig();
    r.truck.extras.dtcs = [[190, 2, 3], [520_192, 31, 1]];
    await r.src.start();
    await drive(r, 11);
    expect(r.src.snapshot().dtcs!.map((d) => d.code)).toEqual(['SPN 190 FMI 2', 'SPN 520192 FMI 31']);
  });

  it('drops values once the bus goes quiet for staleMs (the VIN stays for the session)', async () => {
    const r = truckRig();
    await r.src.start();
    await drive(r, 11);
    expect(r.src.snapshot().engineRpm).toBeDefined();
    r.clock.advance(5001);
    expect(r.src.snapshot()).toEqual({ vin: 'YS2R4X20005399401' });
  });

  it('survives the interface going away: reopens and reads again', async () => {
    const r = truckRig();
    await r.src.start();
    await drive(r, 2);
    r.net.unplug('can0');
    expect(r.timers.pending).toHaveLength(1);
    r.timers.fire();
    await flush();
    await drive(r, 2);
    expect(r.src.stats).toMatchObject({ reopens: 1 });
    expect(r.src.stats.answered.EEC1).toBe(4);
  });

  it('counts bus-off and keeps the port', async () => {
    const r = truckRig();
    await r.src.start();
    r.net.raiseState('can0', 'bus-off');
    r.net.raiseState('can0', 'restarted');
    await drive(r, 1);
    expect(r.src.stats.busOff).toBe(1);
    expect(r.src.stats.answered.EEC1).toBe(1);
  });
});

describe('CAN vehicle source polling a simulated OBD-II car', () => {
  it('refuses OBD-II on a listen-only board', () => {
    expect(() => new CanVehicleSource(new SimCanNetwork(), { ...J1939, protocol: 'obd2' }, systemClock, silentLogger())).toThrow(/must set can.transmit/);
  });

  it('polls over the sim bus and gets the values, VIN and DTCs', async () => {
    const net = new SimCanNetwork();
    const ecu = new SimObdEcu({ pids: { 0x0c: () => [0x0b, 0xb8], 0x0d: () => [50], 0x05: () => [130] }, vin: 'WVWZZZ1JZXW000001', dtcs: [[0x03, 0x01]] });
    const detach = attachObdEcu(net, 'can0', ecu, () => systemClock.now());
    const src = new CanVehicleSource(net, { ...J1939, protocol: 'obd2', transmit: true, bitrate: 500_000 }, systemClock, silentLogger());
    await src.start();
    await waitFor(() => src.snapshot().coolantC !== undefined && src.snapshot().dtcs !== undefined, 5000, 'OBD values');
    expect(src.snapshot()).toMatchObject({ engineRpm: 750, speedKmh: 50, coolantC: 90, vin: 'WVWZZZ1JZXW000001', dtcs: [{ code: 'P0301' }] });
    src.setIgnition(false);
    const n = ecu.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(ecu.requests.length).toBe(n);
    await src.stop();
    detach();
  });
});
