/**
 * One I2C bus (a Linux /dev/i2c-N adapter, or a simulated one).
 *
 * Contract:
 * - Transactions on one bus never overlap: each call waits for the previous one.
 * - Every call either resolves with exactly the bytes asked for or rejects with an
 *   `I2cError` whose `kind` says what happened:
 *   - `nack`: no device acknowledged the address (absent, unpowered, wrong address,
 *     or behind a switch channel that is not enabled). Linux: ENXIO / EREMOTEIO.
 *   - `io`: the transfer started but failed (arbitration lost, bus stuck, short
 *     transfer). Linux: EIO / EAGAIN / short count.
 *   - `timeout`: no answer within the bus timeout. The bus moves on to the next
 *     transaction; a late completion of the abandoned one is ignored.
 *   - `nodev`: the adapter itself is missing (no /dev/i2c-N: i2c-dev not loaded,
 *     dtparam=i2c_arm=on missing). Retrying later is fine.
 *   - `closed`: the bus was closed while the call waited.
 * - A rejected call never leaves the queue stuck.
 */
export interface I2cBus {
  /** A human name for logs, e.g. "i2c-1" or "sim-i2c-1". */
  readonly name: string;
  /** Write `data` to the device (START, addr+W, data..., STOP). */
  write(addr: number, data: Uint8Array): Promise<void>;
  /** Read `length` bytes from the device (START, addr+R, bytes..., STOP). */
  read(addr: number, length: number): Promise<Uint8Array>;
  /**
   * Write `data` then read `length` bytes with a repeated START in between
   * (register read: pointer byte, then data). One transaction on the queue.
   */
  writeRead(addr: number, data: Uint8Array, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export type I2cErrorKind = 'nack' | 'io' | 'timeout' | 'nodev' | 'closed';

export class I2cError extends Error {
  override name = 'I2cError';
  constructor(
    readonly kind: I2cErrorKind,
    readonly bus: string,
    readonly addr: number,
    detail: string,
  ) {
    super(`${bus} 0x${addr.toString(16).padStart(2, '0')}: ${kind}: ${detail}`);
  }
}

/** Maps a Linux errno code from an i2c-dev ioctl to the contract's kinds. */
export function i2cKindFromErrno(code: string | undefined): I2cErrorKind {
  switch (code) {
    case 'ENXIO':
    case 'EREMOTEIO':
      return 'nack';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOENT':
    case 'ENODEV':
    case 'EACCES':
    case 'EPERM':
      return 'nodev';
    default:
      return 'io';
  }
}

/** An error when `addr` is not a 7-bit, non-reserved I2C address, else null. */
export function addressError(bus: string, addr: number): I2cError | null {
  if (Number.isInteger(addr) && addr >= 0x03 && addr <= 0x77) return null;
  return new I2cError('io', bus, Number.isInteger(addr) ? addr : 0, `invalid 7-bit address ${addr} (expected 0x03..0x77)`);
}
