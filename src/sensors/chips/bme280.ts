import type { I2cBus } from '../../hal/i2c.js';
import { realSleep, type Sleep } from './sleep.js';

/**
 * Bosch BME280 (datasheet BST-BME280-DS002) in forced mode, oversampling x1 for
 * temperature, pressure and humidity, IIR filter off.
 *
 * Registers: 0xD0 id (0x60), 0xE0 reset (0xB6), 0xF2 ctrl_hum (osrs_h[2:0]; takes
 * effect at the next ctrl_meas write), 0xF3 status (measuring[3], im_update[0]),
 * 0xF4 ctrl_meas (osrs_t[7:5], osrs_p[4:2], mode[1:0]: 01 forced), 0xF5 config
 * (t_sb[7:5], filter[4:2]), 0xF7..0xFE data (press 20 bit, temp 20 bit, hum 16 bit).
 * Calibration: 0x88..0xA1 (dig_T1..dig_P9 little-endian, dig_H1 at 0xA1) and
 * 0xE1..0xE7 (dig_H2..dig_H6, H4/H5 are 12-bit signed packed around 0xE5).
 */
export const BME280_REG = { calib00: 0x88, id: 0xd0, reset: 0xe0, calib26: 0xe1, ctrlHum: 0xf2, status: 0xf3, ctrlMeas: 0xf4, config: 0xf5, data: 0xf7 } as const;
export const BME280_CHIP_ID = 0x60;
/** ctrl_meas for osrs_t = x1, osrs_p = x1, forced mode. */
export const BME280_CTRL_MEAS_FORCED = (0b001 << 5) | (0b001 << 2) | 0b01;
/** ctrl_hum for osrs_h = x1. */
export const BME280_CTRL_HUM = 0b001;
/** Max measurement time with all three at x1 (datasheet 9.1): 1.25 + 2.3 + 2.3 + 0.575 + 2.3 + 0.575 ms. */
export const BME280_MEASURE_MS = 9.3;

export interface Bme280Calibration {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number; P7: number; P8: number; P9: number;
  H1: number; H2: number; H3: number; H4: number; H5: number; H6: number;
}

export interface Bme280Reading {
  temperatureC: number;
  pressurePa: number;
  humidityPct: number;
}

export class Bme280Error extends Error {
  override name = 'Bme280Error';
}

/** Parses the 26 bytes at 0x88 and the 7 bytes at 0xE1. */
export function parseCalibration(a: Uint8Array, b: Uint8Array): Bme280Calibration {
  const u16 = (x: Uint8Array, i: number): number => x[i]! | (x[i + 1]! << 8);
  const s16 = (x: Uint8Array, i: number): number => (u16(x, i) << 16) >> 16;
  const s8 = (v: number): number => (v << 24) >> 24;
  return {
    T1: u16(a, 0), T2: s16(a, 2), T3: s16(a, 4),
    P1: u16(a, 6), P2: s16(a, 8), P3: s16(a, 10), P4: s16(a, 12), P5: s16(a, 14),
    P6: s16(a, 16), P7: s16(a, 18), P8: s16(a, 20), P9: s16(a, 22),
    H1: a[25]!,
    H2: s16(b, 0),
    H3: b[2]!,
    // 0xE4 = H4[11:4], 0xE5[3:0] = H4[3:0]; 0xE5[7:4] = H5[3:0], 0xE6 = H5[11:4]; both signed 12 bit.
    H4: (s8(b[3]!) * 16) | (b[4]! & 0x0f),
    H5: (s8(b[5]!) * 16) | (b[4]! >> 4),
    H6: s8(b[6]!),
  };
}

/** Datasheet 4.2.3, 32-bit integer temperature: returns [0.01 °C, t_fine]. */
export function compensateT(c: Bme280Calibration, adcT: number): [number, number] {
  const var1 = ((((adcT >> 3) - (c.T1 << 1)) * c.T2) >> 11);
  const d = (adcT >> 4) - c.T1;
  const var2 = ((((d * d) >> 12) * c.T3) >> 14);
  const tFine = var1 + var2;
  return [(tFine * 5 + 128) >> 8, tFine];
}

/** Datasheet 4.2.3, 64-bit integer pressure: returns Pa in Q24.8 (divide by 256). */
export function compensateP(c: Bme280Calibration, adcP: number, tFine: number): number {
  let var1 = BigInt(tFine) - 128000n;
  let var2 = var1 * var1 * BigInt(c.P6);
  var2 = var2 + ((var1 * BigInt(c.P5)) << 17n);
  var2 = var2 + (BigInt(c.P4) << 35n);
  var1 = ((var1 * var1 * BigInt(c.P3)) >> 8n) + ((var1 * BigInt(c.P2)) << 12n);
  var1 = (((1n << 47n) + var1) * BigInt(c.P1)) >> 33n;
  if (var1 === 0n) return 0; // avoid division by zero
  let p = 1048576n - BigInt(adcP);
  p = (((p << 31n) - var2) * 3125n) / var1;
  var1 = (BigInt(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n;
  var2 = (BigInt(c.P8) * p) >> 19n;
  p = ((p + var1 + var2) >> 8n) + (BigInt(c.P7) << 4n);
  return Number(p);
}

/** Datasheet 4.2.3, 32-bit integer humidity: returns %RH in Q22.10 (divide by 1024). */
export function compensateH(c: Bme280Calibration, adcH: number, tFine: number): number {
  let v = tFine - 76800;
  v = (((((adcH << 14) - (c.H4 << 20) - c.H5 * v) + 16384) >> 15) *
    (((((((v * c.H6) >> 10) * (((v * c.H3) >> 11) + 32768)) >> 10) + 2097152) * c.H2 + 8192) >> 14));
  v = v - (((((v >> 15) * (v >> 15)) >> 7) * c.H1) >> 4);
  v = v < 0 ? 0 : v;
  v = v > 419430400 ? 419430400 : v;
  return v >>> 12;
}

export class Bme280 {
  private cal: Bme280Calibration | null = null;
  private configured = false;

  constructor(
    private readonly bus: I2cBus,
    readonly addr: number,
    private readonly sleep: Sleep = realSleep,
  ) {}

  get calibration(): Bme280Calibration | null {
    return this.cal;
  }

  /** Checks the id, reads calibration (once per process) and sets humidity oversampling. */
  private async init(): Promise<Bme280Calibration> {
    const id = (await this.bus.writeRead(this.addr, Uint8Array.of(BME280_REG.id), 1))[0]!;
    if (id !== BME280_CHIP_ID) throw new Bme280Error(`chip id 0x${id.toString(16)} at 0x${this.addr.toString(16)} is not a BME280 (0x60)${id === 0x58 ? ': a BMP280 has no humidity' : ''}`);
    if (!this.cal) {
      const a = await this.bus.writeRead(this.addr, Uint8Array.of(BME280_REG.calib00), 26);
      const b = await this.bus.writeRead(this.addr, Uint8Array.of(BME280_REG.calib26), 7);
      const cal = parseCalibration(a, b);
      if (cal.T1 === 0 || cal.P1 === 0) throw new Bme280Error('calibration reads as zero: NVM copy not finished or bus fault');
      this.cal = cal;
    }
    await this.bus.write(this.addr, Uint8Array.of(BME280_REG.ctrlHum, BME280_CTRL_HUM));
    await this.bus.write(this.addr, Uint8Array.of(BME280_REG.config, 0x00));
    this.configured = true;
    return this.cal;
  }

  /** One forced-mode measurement. */
  async read(): Promise<Bme280Reading> {
    try {
      const cal = this.configured && this.cal ? this.cal : await this.init();
      await this.bus.write(this.addr, Uint8Array.of(BME280_REG.ctrlMeas, BME280_CTRL_MEAS_FORCED));
      await this.sleep(BME280_MEASURE_MS);
      for (let polls = 0; ; polls++) {
        const st = (await this.bus.writeRead(this.addr, Uint8Array.of(BME280_REG.status), 1))[0]!;
        if ((st & 0x08) === 0) break;
        if (polls >= 5) throw new Bme280Error('measurement still running (status.measuring stays 1)');
        await this.sleep(2);
      }
      const d = await this.bus.writeRead(this.addr, Uint8Array.of(BME280_REG.data), 8);
      const adcP = (d[0]! << 12) | (d[1]! << 4) | (d[2]! >> 4);
      const adcT = (d[3]! << 12) | (d[4]! << 4) | (d[5]! >> 4);
      const adcH = (d[6]! << 8) | d[7]!;
      if (adcT === 0x80000 || adcH === 0x8000) throw new Bme280Error('measurement skipped (0x80000/0x8000 in the data registers): the chip was reset');
      const [t, tFine] = compensateT(cal, adcT);
      return { temperatureC: t / 100, pressurePa: compensateP(cal, adcP, tFine) / 256, humidityPct: compensateH(cal, adcH, tFine) / 1024 };
    } catch (err) {
      this.configured = false; // after any fault, check id and settings again
      throw err;
    }
  }
}
