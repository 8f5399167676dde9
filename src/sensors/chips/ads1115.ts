import type { I2cBus } from '../../hal/i2c.js';
import { realSleep, type Sleep } from './sleep.js';

/**
 * TI ADS1115 16-bit ADC (datasheet SBAS444): single-shot conversions.
 *
 * Registers (pointer byte P[1:0]): 0x00 conversion (int16, big-endian), 0x01 config,
 * 0x02 Lo_thresh, 0x03 Hi_thresh. Config bits: OS[15] (write 1: start single shot;
 * read 0: converting, 1: idle), MUX[14:12], PGA[11:9], MODE[8] (1 single-shot),
 * DR[7:5], COMP_MODE[4], COMP_POL[3], COMP_LAT[2], COMP_QUE[1:0] (11: comparator off).
 * Reset value 0x8583.
 */
export const ADS1115_REG = { conversion: 0x00, config: 0x01, loThresh: 0x02, hiThresh: 0x03 } as const;

/** PGA[2:0] -> full-scale range in volts (101, 110, 111 are all ±0.256 V). */
export const ADS1115_FSR: readonly number[] = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];
/** DR[2:0] -> samples per second. */
export const ADS1115_RATES: readonly number[] = [8, 16, 32, 64, 128, 250, 475, 860];

/** MUX[2:0] for each input selection. */
export const ADS1115_MUX = {
  'ain0-ain1': 0b000,
  'ain0-ain3': 0b001,
  'ain1-ain3': 0b010,
  'ain2-ain3': 0b011,
  ain0: 0b100,
  ain1: 0b101,
  ain2: 0b110,
  ain3: 0b111,
} as const;
export type Ads1115Input = keyof typeof ADS1115_MUX;

export interface Ads1115Reading {
  raw: number;
  volts: number;
  /** True when the code is at either end of the range: the input is beyond ±FSR. */
  saturated: boolean;
}

export class Ads1115Error extends Error {
  override name = 'Ads1115Error';
}

export function pgaForFsr(fsr: number): number {
  const i = ADS1115_FSR.indexOf(fsr);
  if (i < 0) throw new Ads1115Error(`full-scale range ${fsr} V is not one of ${[...new Set(ADS1115_FSR)].join(', ')}`);
  return i;
}

export function drForRate(sps: number): number {
  const i = ADS1115_RATES.indexOf(sps);
  if (i < 0) throw new Ads1115Error(`data rate ${sps} SPS is not one of ${ADS1115_RATES.join(', ')}`);
  return i;
}

/** The config word that starts one single-shot conversion, comparator disabled. */
export function singleShotConfig(input: Ads1115Input, fsr: number, sps: number): number {
  return (1 << 15) | (ADS1115_MUX[input] << 12) | (pgaForFsr(fsr) << 9) | (1 << 8) | (drForRate(sps) << 5) | 0b00011;
}

/** Conversion code -> volts: one LSB is FSR / 2^15. */
export function codeToVolts(code: number, fsr: number): number {
  return (code * fsr) / 32768;
}

export class Ads1115 {
  /** Conversions on one chip must not interleave (config write ... conversion read). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bus: I2cBus,
    readonly addr: number,
    private readonly sleep: Sleep = realSleep,
    /** Polls of OS before giving up (each after a short wait). */
    private readonly maxPolls = 8,
  ) {}

  /** One single-shot conversion: write config (OS=1), wait 1/DR, poll OS, read. */
  read(input: Ads1115Input, fsr = 2.048, sps = 128): Promise<Ads1115Reading> {
    const run = this.lock.then(() => this.convert(input, fsr, sps));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async convert(input: Ads1115Input, fsr: number, sps: number): Promise<Ads1115Reading> {
    const cfg = singleShotConfig(input, fsr, sps);
    await this.bus.write(this.addr, Uint8Array.of(ADS1115_REG.config, cfg >> 8, cfg & 0xff));
    // One conversion takes 1/DR; the internal oscillator may run up to 10 % slow.
    const conversionMs = 1000 / sps;
    await this.sleep(conversionMs * 1.1 + 0.1);
    let polls = 0;
    for (;;) {
      const c = await this.bus.writeRead(this.addr, Uint8Array.of(ADS1115_REG.config), 2);
      const word = (c[0]! << 8) | c[1]!;
      if (word & 0x8000) {
        // The config echo must be what we wrote (except OS): catches a wrong chip at this address.
        if ((word & 0x7fff) !== (cfg & 0x7fff)) throw new Ads1115Error(`config read back 0x${word.toString(16)} after writing 0x${cfg.toString(16)}: not an ADS1115 or it was reset`);
        break;
      }
      if (++polls >= this.maxPolls) throw new Ads1115Error(`conversion not ready after ${polls} polls (OS bit stays 0)`);
      await this.sleep(conversionMs * 0.25 + 0.1);
    }
    const d = await this.bus.writeRead(this.addr, Uint8Array.of(ADS1115_REG.conversion), 2);
    const raw = ((d[0]! << 8) | d[1]!) << 16 >> 16;
    return { raw, volts: codeToVolts(raw, fsr), saturated: raw === 0x7fff || raw === -0x8000 };
  }
}
