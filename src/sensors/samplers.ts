import type { Board } from '../hal/board.js';
import type { I2cBus } from '../hal/i2c.js';
import type { Gpio } from '../hal/gpio.js';
import { Ads1115, type Ads1115Input } from './chips/ads1115.js';
import { Tca9548a } from './chips/tca9548a.js';
import { Abp, ABP_OUTPUT_MAX, ABP_OUTPUT_MIN } from './chips/abp.js';
import { Bme280 } from './chips/bme280.js';
import { realSleep, type Sleep } from './chips/sleep.js';
import { scaleForward } from './scaling.js';
import { Tach } from './tach.js';
import { FAULT } from './faults.js';
import { representable, type ScalarField } from './fields.js';

export type SensorGroup = 'engine' | 'tyres' | 'cabin';

export interface SampleResult {
  fields: Partial<Record<ScalarField, number>>;
  /** Tyre pressure in kPa (tyre samplers). */
  tyreKpa?: number;
  /** The value is outside the physical range (sent as measured, flagged). */
  outOfRange: boolean;
  /** The sensor answered with data it already gave (ABP status 10). */
  stale?: boolean;
}

/** One thing the hub samples on a schedule. */
export interface Sampler {
  name: string;
  group: SensorGroup;
  failBit: number;
  rangeBit: number;
  /** Index in tyresKpa for tyre samplers. */
  tyreIndex?: number;
  /** A reading, or null when there is nothing to report yet (tach window too short). */
  sample(): Promise<SampleResult | null>;
}

/** The analog quantities: record field, unit factor, physical range, fault bits. */
export const QUANTITIES = {
  battery: { field: 'batteryMv', factor: 1000, min: 0, max: 40, failBit: FAULT.battery, rangeBit: FAULT.batteryRange },
  fuel: { field: 'fuelPm', factor: 10, min: 0, max: 100, failBit: FAULT.fuel, rangeBit: FAULT.fuelRange },
  oil: { field: 'oilKpa', factor: 1, min: 0, max: 1000, failBit: FAULT.oil, rangeBit: FAULT.oilRange },
  coolant: { field: 'coolantDc', factor: 10, min: -40, max: 150, failBit: FAULT.coolant, rangeBit: FAULT.coolantRange },
} as const satisfies Record<string, { field: ScalarField; factor: number; min: number; max: number; failBit: number; rangeBit: number }>;

export const RPM_MAX = 8000;
export const CABIN_MIN_C = -40;
export const CABIN_MAX_C = 85;

export interface SamplerDeps {
  board: Board;
  bus: I2cBus | null;
  gpio: Gpio | null;
  now: () => number;
  sleep?: Sleep;
}

/** The samplers a board wires, each on its chip driver. */
export function buildSamplers(d: SamplerDeps): Sampler[] {
  const out: Sampler[] = [];
  const sleep = d.sleep ?? realSleep;
  const i2c = d.board.i2c;
  if (i2c && d.bus) {
    const bus = d.bus;
    const muxes = new Map(Object.entries(i2c.muxes ?? {}).map(([n, m]) => [n, new Tca9548a(bus, m.address)]));
    const adcs = new Map(Object.entries(i2c.adcs ?? {}).map(([n, a]) => [n, { chip: new Ads1115(bus, a.address, sleep), sps: a.dataRate }]));
    const behind = <T>(mux: string | undefined, channel: number | undefined, fn: () => Promise<T>): Promise<T> =>
      mux ? muxes.get(mux)!.withChannel(channel ?? 0, fn) : fn();

    for (const q of Object.keys(QUANTITIES) as (keyof typeof QUANTITIES)[]) {
      const ch = i2c.analog?.[q];
      if (!ch) continue;
      const adc = adcs.get(ch.adc)!;
      const def = QUANTITIES[q];
      out.push({
        name: q,
        group: 'engine',
        failBit: def.failBit,
        rangeBit: def.rangeBit,
        async sample() {
          const r = await adc.chip.read(ch.input as Ads1115Input, ch.fullScaleV, adc.sps);
          const v = scaleForward(ch.scale, r.volts);
          const n = Math.round(v * def.factor);
          const outOfRange = r.saturated || !(v >= def.min && v <= def.max);
          if (!Number.isFinite(v) || !representable(def.field, n)) return { fields: {}, outOfRange: true };
          return { fields: { [def.field]: n }, outOfRange };
        },
      });
    }
    (i2c.tyres ?? []).forEach((t, i) => {
      const abp = new Abp(bus, t.address, t.pMinKpa, t.pMaxKpa, t.temperature);
      out.push({
        name: `tyre-${t.position}`,
        group: 'tyres',
        failBit: FAULT.tyres,
        rangeBit: FAULT.tyresRange,
        tyreIndex: i,
        async sample() {
          const r = await behind(t.mux, t.channel, () => abp.read());
          if (r.status === 'stale') return { fields: {}, outOfRange: false, stale: true };
          const kpa = Math.round(r.pressure);
          const outOfRange = r.counts < ABP_OUTPUT_MIN || r.counts > ABP_OUTPUT_MAX;
          return representable('tyresKpa', kpa) ? { fields: {}, tyreKpa: kpa, outOfRange } : { fields: {}, outOfRange: true };
        },
      });
    });
    const cabin = i2c.cabin;
    if (cabin) {
      const bme = new Bme280(bus, cabin.address, sleep);
      out.push({
        name: 'cabin',
        group: 'cabin',
        failBit: FAULT.cabin,
        rangeBit: FAULT.cabinRange,
        async sample() {
          const r = await behind(cabin.mux, cabin.channel, () => bme.read());
          const fields: SampleResult['fields'] = {};
          let outOfRange = r.temperatureC < CABIN_MIN_C || r.temperatureC > CABIN_MAX_C;
          for (const [k, n] of [['cabinDc', Math.round(r.temperatureC * 10)], ['humidityPm', Math.round(r.humidityPct * 10)]] as const) {
            if (representable(k, n)) fields[k] = n;
            else outOfRange = true;
          }
          return { fields, outOfRange };
        },
      });
    }
  }
  const tachCfg = d.board.gpio?.tach;
  if (tachCfg && d.gpio) {
    const gpio = d.gpio;
    let tach: Tach | null = null;
    out.push({
      name: 'rpm',
      group: 'engine',
      failBit: FAULT.rpm,
      rangeBit: FAULT.rpmRange,
      async sample() {
        // Claimed on first use so a GPIO error is this sensor's fault, retried like any other.
        if (!tach) {
          tach = new Tach(gpio.input(tachCfg.line, { edge: 'both', activeLow: tachCfg.activeLow }), tachCfg.pulsesPerRev, d.now);
          return null;
        }
        const rpm = tach.sample();
        if (rpm === null) return null;
        const n = Math.round(rpm);
        return representable('rpm', n) ? { fields: { rpm: n }, outOfRange: rpm > RPM_MAX } : { fields: {}, outOfRange: true };
      },
    });
  }
  return out;
}
