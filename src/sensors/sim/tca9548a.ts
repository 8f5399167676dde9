import type { SimI2cDevice } from '../../hal/sim/i2c.js';

/** Register-level TCA9548A: one control byte; enabled channels expose their devices. */
export class SimTca9548a implements SimI2cDevice {
  control = 0x00; // power-up: no channel selected
  readonly channels: Map<number, SimI2cDevice>[] = Array.from({ length: 8 }, () => new Map());
  /** The last control bytes written, in order (tests; bounded). */
  readonly writes: number[] = [];

  attach(channel: number, addr: number, dev: SimI2cDevice): void {
    const ch = this.channels[channel];
    if (!ch) throw new Error(`channel ${channel} is not 0..7`);
    if (ch.has(addr)) throw new Error(`channel ${channel}: address 0x${addr.toString(16)} already taken`);
    ch.set(addr, dev);
  }

  onWrite(data: Uint8Array): void {
    if (data.length === 0) return;
    this.control = data[data.length - 1]!; // the last byte received counts
    this.writes.push(this.control);
    if (this.writes.length > 64) this.writes.shift();
  }

  onRead(length: number): Uint8Array {
    return new Uint8Array(length).fill(this.control);
  }

  *downstream(): Iterable<[number, SimI2cDevice]> {
    for (let c = 0; c < 8; c++) if (this.control & (1 << c)) yield* this.channels[c]!;
  }
}
