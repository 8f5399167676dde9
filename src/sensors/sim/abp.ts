import type { SimI2cDevice } from '../../hal/sim/i2c.js';
import { ABP_OUTPUT_MAX, ABP_OUTPUT_MIN } from '../chips/abp.js';

/**
 * Register-level Honeywell ABP (I2C): every read returns status + 14-bit counts
 * (+ 11-bit temperature). A new measurement is ready every `updateMs`; a second
 * read within the same update returns the same data with status 10 (stale).
 * Test controls: `stuck` (never updates again: always stale), `diagnostic`.
 */
export class SimAbp implements SimI2cDevice {
  stuck = false;
  diagnostic = false;
  updateMs = 1;
  reads = 0;
  private lastMeasureAt = -Infinity;
  private lastCounts = ABP_OUTPUT_MIN;
  private lastT11 = 0;

  constructor(
    private readonly now: () => number,
    public pressure: () => number,
    readonly pMin: number,
    readonly pMax: number,
    public temperatureC: () => number = () => 20,
  ) {}

  onWrite(): void {
    // Writes are commands (enter command mode); not used in normal operation.
  }

  onRead(length: number): Uint8Array {
    this.reads++;
    const t = this.now();
    let status = 0b00;
    if (this.stuck || t - this.lastMeasureAt < this.updateMs) status = 0b10;
    else {
      this.lastMeasureAt = t;
      const c = Math.round(((this.pressure() - this.pMin) * (ABP_OUTPUT_MAX - ABP_OUTPUT_MIN)) / (this.pMax - this.pMin) + ABP_OUTPUT_MIN);
      this.lastCounts = Math.max(0, Math.min(0x3fff, c));
      this.lastT11 = Math.max(0, Math.min(2047, Math.round(((this.temperatureC() + 50) / 200) * 2047)));
    }
    if (this.diagnostic) status = 0b11;
    const bytes = [(status << 6) | (this.lastCounts >> 8), this.lastCounts & 0xff, this.lastT11 >> 3, (this.lastT11 & 7) << 5];
    return Uint8Array.from(bytes.slice(0, length));
  }
}
