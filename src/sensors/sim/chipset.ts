import type { Board } from '../../hal/board.js';
import { SimI2cBus, type SimI2cDevice } from '../../hal/sim/i2c.js';
import { SimGpio } from '../../hal/sim/gpio.js';
import type { Clock } from '../../base/clock.js';
import { scaleInverse } from '../scaling.js';
import { SimAds1115 } from './ads1115.js';
import { SimTca9548a } from './tca9548a.js';
import { SimAbp } from './abp.js';
import { SimBme280 } from './bme280.js';
import { SimVehicle } from '../../sim/vehicle.js';

const AIN: Record<string, number> = { ain0: 0, ain1: 1, ain2: 2, ain3: 3 };

export interface SimBoard {
  bus: SimI2cBus;
  gpio: SimGpio;
  vehicle: SimVehicle;
  /** Chip models by board name: "engine-adc", "tyre-switch", "tyre:front-left", "cabin". */
  chips: Map<string, SimI2cDevice>;
  /** Starts driving the tach and ignition inputs from the vehicle (one timer). */
  start(): void;
  stop(): void;
}

/**
 * Builds the simulated hardware a board file describes: every chip on the simulated
 * I2C bus at its address and switch channel, with input voltages made from the
 * vehicle's physical values through the inverse of the board's scaling.
 */
export function buildSimBoard(board: Board, clock: Clock): SimBoard {
  const now = () => clock.now();
  const i2c = board.i2c;
  const bus = new SimI2cBus(`sim-i2c-${i2c?.bus ?? 1}`, i2c?.timeoutMs ?? 100);
  const gpio = new SimGpio();
  const tyres = i2c?.tyres ?? [];
  const vehicle = new SimVehicle(clock.now(), tyres.length);
  const chips = new Map<string, SimI2cDevice>();
  const state = () => vehicle.update(clock.now());

  const muxes = new Map<string, SimTca9548a>();
  for (const [name, m] of Object.entries(i2c?.muxes ?? {})) {
    const dev = new SimTca9548a();
    bus.attach(m.address, dev);
    muxes.set(name, dev);
    chips.set(name, dev);
  }
  const place = (mux: string | undefined, channel: number | undefined, addr: number, dev: SimI2cDevice): void => {
    if (mux) muxes.get(mux)!.attach(channel ?? 0, addr, dev);
    else bus.attach(addr, dev);
  };

  const physical: Record<string, () => number> = {
    battery: () => state().batteryV,
    fuel: () => state().fuelPct,
    oil: () => state().oilKpa,
    coolant: () => state().coolantC,
  };
  for (const [name, a] of Object.entries(i2c?.adcs ?? {})) {
    const inputs: (() => number)[] = [() => 0, () => 0, () => 0, () => 0];
    for (const [q, ch] of Object.entries(i2c?.analog ?? {})) {
      if (!ch || ch.adc !== name || !(ch.input in AIN)) continue;
      const value = physical[q]!;
      inputs[AIN[ch.input]!] = () => scaleInverse(ch.scale, value());
    }
    const dev = new SimAds1115(now, (ain) => inputs[ain]!());
    bus.attach(a.address, dev);
    chips.set(name, dev);
  }
  tyres.forEach((t, i) => {
    const dev = new SimAbp(now, () => state().tyresKpa[i]!, t.pMinKpa, t.pMaxKpa, () => 15 + state().coolantC / 8);
    place(t.mux, t.channel, t.address, dev);
    chips.set(`tyre:${t.position}`, dev);
  });
  if (i2c?.cabin) {
    const dev = new SimBme280(now, () => {
      const s = state();
      return { temperatureC: s.cabinC, humidityPct: s.cabinRh, pressurePa: s.pressurePa };
    });
    place(i2c.cabin.mux, i2c.cabin.channel, i2c.cabin.address, dev);
    chips.set('cabin', dev);
  }

  const tach = board.gpio?.tach;
  const ign = board.gpio?.ignition;
  let timer: NodeJS.Timeout | null = null;
  let last = clock.now();
  let owed = 0;
  const drive = (): void => {
    const t = clock.now();
    const s = state();
    if (ign) gpio.drive(ign.line, (s.ignition ? 1 : 0) ^ (ign.activeLow ? 1 : 0) ? 1 : 0);
    if (tach) {
      owed += ((s.rpm / 60) * tach.pulsesPerRev * (t - last)) / 1000;
      const n = Math.floor(owed);
      owed -= n;
      gpio.pulse(tach.line, n);
    }
    last = t;
  };
  return {
    bus,
    gpio,
    vehicle,
    chips,
    start() {
      if (timer) return;
      last = clock.now();
      drive();
      timer = setInterval(drive, 50);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
