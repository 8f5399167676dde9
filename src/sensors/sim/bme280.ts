import type { SimI2cDevice } from '../../hal/sim/i2c.js';
import { BME280_CHIP_ID, BME280_MEASURE_MS, compensateH, compensateP, compensateT, type Bme280Calibration } from '../chips/bme280.js';

/** Calibration of the simulated chip: T/P from the BMP280 datasheet's worked example, H typical. */
export const SIM_BME280_CAL: Bme280Calibration = {
  T1: 27504, T2: 26435, T3: -1000,
  P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
  H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
};

/** Largest x in [lo, hi) with f(x) <= target, for f increasing. */
function search(f: (x: number) => number, target: number, lo: number, hi: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (f(mid) <= target) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Register-level BME280: 256-byte register file with id, calibration NVM, control
 * registers; a forced-mode write to ctrl_meas measures for 9.3 ms (status.measuring
 * = 1) and then loads raw ADC values for the physical values the vehicle gives,
 * found by inverting the datasheet compensation with this chip's calibration.
 * ctrl_hum takes effect only at the next ctrl_meas write, as on the real chip.
 */
export class SimBme280 implements SimI2cDevice {
  readonly regs = new Uint8Array(256);
  private pointer = 0;
  private busyUntil = 0;
  private osrsH = 0;
  /** Results of the running measurement, copied to 0xF7..0xFE when it completes. */
  private pending: number[] | null = null;
  measurements = 0;

  constructor(
    private readonly now: () => number,
    public env: () => { temperatureC: number; humidityPct: number; pressurePa: number },
    readonly cal: Bme280Calibration = SIM_BME280_CAL,
  ) {
    const c = cal;
    const le = (v: number): [number, number] => [v & 0xff, (v >> 8) & 0xff];
    this.regs.set([...le(c.T1), ...le(c.T2), ...le(c.T3), ...le(c.P1), ...le(c.P2), ...le(c.P3), ...le(c.P4), ...le(c.P5), ...le(c.P6), ...le(c.P7), ...le(c.P8), ...le(c.P9)], 0x88);
    this.regs[0xa1] = c.H1;
    this.regs.set([...le(c.H2), c.H3, (c.H4 >> 4) & 0xff, (c.H4 & 0x0f) | ((c.H5 & 0x0f) << 4), (c.H5 >> 4) & 0xff, c.H6 & 0xff], 0xe1);
    this.regs[0xd0] = BME280_CHIP_ID;
    // Skipped-measurement values until the first measurement.
    this.regs.set([0x80, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00], 0xf7);
  }

  onWrite(data: Uint8Array): void {
    if (data.length === 0) return;
    this.pointer = data[0]!;
    // Register writes come as (address, value) pairs.
    for (let i = 0; i + 1 < data.length; i += 2) this.writeReg(data[i]!, data[i + 1]!);
  }

  private writeReg(reg: number, v: number): void {
    if (reg === 0xe0 && v === 0xb6) {
      this.regs[0xf2] = 0;
      this.regs[0xf4] = 0;
      this.regs[0xf5] = 0;
      return;
    }
    if (reg === 0xf2) this.regs[0xf2] = v & 0x07;
    else if (reg === 0xf5) this.regs[0xf5] = v;
    else if (reg === 0xf4) {
      this.regs[0xf4] = v;
      this.osrsH = this.regs[0xf2]!; // latched here
      if ((v & 0x03) === 0b01 || (v & 0x03) === 0b10) this.measure(v);
    }
  }

  private measure(ctrlMeas: number): void {
    this.measurements++;
    this.busyUntil = this.now() + BME280_MEASURE_MS;
    const e = this.env();
    const c = this.cal;
    const adcT = (ctrlMeas >> 5) === 0 ? 0x80000 : search((x) => compensateT(c, x)[0], Math.round(e.temperatureC * 100), 0, 1 << 20);
    const tFine = compensateT(c, adcT)[1];
    // Pressure falls as adc_P rises.
    const adcP = ((ctrlMeas >> 2) & 7) === 0 ? 0x80000 : search((x) => -compensateP(c, x, tFine), -Math.round(e.pressurePa * 256), 0, 1 << 20);
    const adcH = this.osrsH === 0 ? 0x8000 : search((x) => compensateH(c, x, tFine), Math.round(e.humidityPct * 1024), 0, 1 << 16);
    this.pending = [adcP >> 12, (adcP >> 4) & 0xff, (adcP & 0x0f) << 4, adcT >> 12, (adcT >> 4) & 0xff, (adcT & 0x0f) << 4, adcH >> 8, adcH & 0xff];
  }

  onRead(length: number): Uint8Array {
    const busy = this.now() < this.busyUntil;
    if (!busy && this.pending) {
      this.regs.set(this.pending, 0xf7);
      this.pending = null;
    }
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const reg = (this.pointer + i) & 0xff;
      out[i] = reg === 0xf3 ? (busy ? 0x08 : 0x00) : this.regs[reg]!;
    }
    this.pointer = (this.pointer + length) & 0xff; // auto-increment
    return out;
  }
}
