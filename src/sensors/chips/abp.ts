import type { I2cBus } from '../../hal/i2c.js';

/**
 * Honeywell ABP series digital pressure sensor, I2C variant (e.g. address 0x28).
 * A read of 2 bytes gives status S1:S0 in bits 15:14 of the first word and 14-bit
 * bridge counts in bits 13:0; 4 bytes add 11-bit temperature (byte 3 = T[10:3],
 * byte 4 bits 7:5 = T[2:0], low 5 bits don't care).
 *
 * Status: 00 normal, 01 command mode (not used in normal operation), 10 stale data
 * (already read since the last measurement), 11 diagnostic condition.
 * Transfer function (10 % to 90 % of 2^14 counts):
 *   P = (counts - 1638) * (Pmax - Pmin) / (14745 - 1638) + Pmin
 * Temperature: T = counts11 / 2047 * 200 - 50 (°C).
 */
export const ABP_OUTPUT_MIN = 1638;
export const ABP_OUTPUT_MAX = 14745;

export type AbpStatus = 'normal' | 'command' | 'stale' | 'diagnostic';
const STATUS: readonly AbpStatus[] = ['normal', 'command', 'stale', 'diagnostic'];

export interface AbpReading {
  status: AbpStatus;
  counts: number;
  /** Pressure in the unit of pMin/pMax. */
  pressure: number;
  /** °C, when read with temperature. */
  temperatureC?: number;
}

export class AbpError extends Error {
  override name = 'AbpError';
  constructor(
    readonly status: AbpStatus,
    message: string,
  ) {
    super(message);
  }
}

export function abpPressure(counts: number, pMin: number, pMax: number): number {
  return ((counts - ABP_OUTPUT_MIN) * (pMax - pMin)) / (ABP_OUTPUT_MAX - ABP_OUTPUT_MIN) + pMin;
}

/** Decodes 2 or 4 bytes as read from the sensor. */
export function decodeAbp(bytes: Uint8Array, pMin: number, pMax: number): AbpReading {
  const status = STATUS[bytes[0]! >> 6]!;
  const counts = ((bytes[0]! & 0x3f) << 8) | bytes[1]!;
  const r: AbpReading = { status, counts, pressure: abpPressure(counts, pMin, pMax) };
  if (bytes.length >= 4) {
    const t11 = (bytes[2]! << 3) | (bytes[3]! >> 5);
    r.temperatureC = (t11 / 2047) * 200 - 50;
  }
  return r;
}

export class Abp {
  constructor(
    private readonly bus: I2cBus,
    readonly addr: number,
    readonly pMin: number,
    readonly pMax: number,
    private readonly withTemperature = false,
  ) {}

  /**
   * Reads one measurement. Stale data comes back as a reading with status 'stale'
   * (the caller decides whether the previous value still stands); a diagnostic
   * condition or command mode is an AbpError (the counts are not a pressure).
   */
  async read(): Promise<AbpReading> {
    const bytes = await this.bus.read(this.addr, this.withTemperature ? 4 : 2);
    const r = decodeAbp(bytes, this.pMin, this.pMax);
    if (r.status === 'diagnostic') throw new AbpError('diagnostic', `ABP at 0x${this.addr.toString(16)}: diagnostic condition (status 11: bridge open/short or EEPROM fault)`);
    if (r.status === 'command') throw new AbpError('command', `ABP at 0x${this.addr.toString(16)}: in command mode (status 01)`);
    return r;
  }
}
