import type { I2cBus } from '../../hal/i2c.js';

/**
 * NXP/TI TCA9548A 8-channel I2C switch. One control register, written and read as
 * a single byte with no pointer: bit n = 1 connects channel n (several may be on at
 * once; power-up/reset default 0x00 = all off). A new selection takes effect at the
 * STOP after the write; if several bytes are written the last one counts.
 *
 * Only one channel is ever enabled here, so identical sensors (same address) on
 * different channels never answer together. `withChannel` serialises users of the
 * switch: selection and the transactions behind it form one critical section.
 */
export class Tca9548a {
  /** What we believe the control register holds (null: unknown, write it next time). */
  private current: number | null = null;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bus: I2cBus,
    readonly addr: number,
  ) {}

  static mask(channel: number): number {
    if (!Number.isInteger(channel) || channel < 0 || channel > 7) throw new RangeError(`TCA9548A channel ${channel} is not 0..7`);
    return 1 << channel;
  }

  /** Writes the control byte unless it is known to hold it already. */
  async select(channel: number): Promise<void> {
    const m = Tca9548a.mask(channel);
    if (this.current === m) return;
    this.current = null;
    await this.bus.write(this.addr, Uint8Array.of(m));
    this.current = m;
  }

  /** Reads the control register back (diagnostics and `--once` self-check). */
  async readControl(): Promise<number> {
    const b = await this.bus.read(this.addr, 1);
    return b[0]!;
  }

  /** All channels off (0x00). */
  async disableAll(): Promise<void> {
    this.current = null;
    await this.bus.write(this.addr, Uint8Array.of(0));
    this.current = 0;
  }

  /** Forget the cached selection (after a fault the switch may have been reset). */
  invalidate(): void {
    this.current = null;
  }

  /** Runs `fn` with `channel` selected and no other user of this switch in between. */
  withChannel<T>(channel: number, fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      try {
        await this.select(channel);
        return await fn();
      } catch (err) {
        this.invalidate();
        throw err;
      }
    });
    this.lock = run.catch(() => undefined);
    return run;
  }
}
