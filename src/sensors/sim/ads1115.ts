import type { SimI2cDevice } from '../../hal/sim/i2c.js';
import { ADS1115_FSR, ADS1115_RATES } from '../chips/ads1115.js';

/** MUX[2:0] -> [positive input, negative input or -1 for GND]. */
const MUX_INPUTS: readonly [number, number][] = [
  [0, 1], [0, 3], [1, 3], [2, 3], [0, -1], [1, -1], [2, -1], [3, -1],
];

/**
 * Register-level ADS1115: pointer register, config (reset 0x8583), conversion,
 * thresholds; single-shot conversions take 1/DR and read OS = 0 meanwhile. Input
 * voltages come from `volts(ainIndex)`. The conversion code saturates at
 * 0x7FFF / 0x8000 beyond ±FSR, as the chip does.
 */
export class SimAds1115 implements SimI2cDevice {
  pointer = 0;
  readonly regs = [0x0000, 0x8583, 0x8000, 0x7fff];
  private readyAt = 0;
  private pendingCode = 0;
  /** Number of single-shot conversions started (tests). */
  conversions = 0;
  /** Input noise in LSB (peak), deterministic. */
  noiseLsb = 2;
  private seed = 1;

  constructor(
    private readonly now: () => number,
    public volts: (ain: number) => number,
  ) {}

  private converting(): boolean {
    return this.now() < this.readyAt;
  }

  private noise(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((this.seed / 0x7fffffff) * 2 - 1) * this.noiseLsb);
  }

  onWrite(data: Uint8Array): void {
    if (data.length === 0) return;
    this.pointer = data[0]! & 0x03;
    if (data.length < 3) return; // pointer-only write (before a read)
    const word = (data[1]! << 8) | data[2]!;
    if (this.pointer === 0) return; // conversion register is read-only
    if (this.pointer !== 1) {
      this.regs[this.pointer] = word;
      return;
    }
    // OS is not stored: it reads back as status. A write with OS=1 in power-down
    // (single-shot, idle) starts one conversion.
    this.regs[1] = word & 0x7fff;
    if (word & 0x8000 && word & 0x0100 && !this.converting()) {
      const [p, n] = MUX_INPUTS[(word >> 12) & 7]!;
      const fsr = ADS1115_FSR[(word >> 9) & 7]!;
      const sps = ADS1115_RATES[(word >> 5) & 7]!;
      const v = this.volts(p) - (n < 0 ? 0 : this.volts(n));
      const code = Math.round((v / fsr) * 32768) + this.noise();
      this.pendingCode = Math.max(-32768, Math.min(32767, code));
      this.readyAt = this.now() + 1000 / sps;
      this.conversions++;
    }
  }

  onRead(length: number): Uint8Array {
    let word: number;
    if (this.pointer === 1) word = this.regs[1]! | (this.converting() ? 0 : 0x8000);
    else if (this.pointer === 0) {
      if (!this.converting()) this.regs[0] = this.pendingCode & 0xffff;
      word = this.regs[0]!;
    } else word = this.regs[this.pointer]!;
    const out = new Uint8Array(length);
    // The chip repeats the register for longer reads.
    for (let i = 0; i < length; i++) out[i] = i % 2 === 0 ? word >> 8 : word & 0xff;
    return out;
  }
}
