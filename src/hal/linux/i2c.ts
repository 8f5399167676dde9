import i2c from 'i2c-bus';
import { I2cError, i2cKindFromErrno, type I2cBus } from '../i2c.js';
import { TransactionQueue } from '../i2c-queue.js';
import { errorCode, errorMessage } from '../../errors.js';

/** Largest SMBus I2C-block read: the kernel's I2C_SMBUS_BLOCK_MAX. */
const SMBUS_BLOCK_MAX = 32;

/**
 * /dev/i2c-N through i2c-bus: one file handle per bus, opened lazily and reopened
 * after `nodev` (the adapter may appear later, e.g. after `modprobe i2c-dev`).
 */
/** The part of i2c-bus this bus uses (tests pass one backed by chip models). */
export type I2cBusApi = Pick<i2c.PromisifiedBus, 'i2cRead' | 'i2cWrite' | 'readI2cBlock' | 'close'>;

const openI2cDev = (n: number): I2cBusApi => i2c.openSync(n).promisifiedBus();

export class LinuxI2cBus implements I2cBus {
  readonly name: string;
  private readonly queue: TransactionQueue;
  private handle: I2cBusApi | null = null;

  constructor(
    private readonly busNumber: number,
    timeoutMs = 100,
    private readonly openBus: (n: number) => I2cBusApi = openI2cDev,
  ) {
    this.name = `i2c-${busNumber}`;
    this.queue = new TransactionQueue(this.name, timeoutMs);
  }

  private bus(addr: number): I2cBusApi {
    if (this.handle) return this.handle;
    try {
      this.handle = this.openBus(this.busNumber);
      return this.handle;
    } catch (err) {
      throw new I2cError('nodev', this.name, addr, `cannot open /dev/${this.name} (${errorCode(err) ?? errorMessage(err)}): dtparam=i2c_arm=on in config.txt, i2c-dev loaded, user in group i2c`);
    }
  }

  private fail(addr: number, what: string, err: unknown): never {
    if (err instanceof I2cError) throw err;
    const code = errorCode(err);
    const kind = i2cKindFromErrno(code);
    if (kind === 'nodev') this.dropHandle();
    const hint = kind === 'nodev' ? `: /dev/${this.name} is missing or not accessible (dtparam=i2c_arm=on in config.txt, i2c-dev loaded, user in group i2c)` : '';
    throw new I2cError(kind, this.name, addr, `${what}: ${code ?? errorMessage(err)}${hint}`);
  }

  private dropHandle(): void {
    const h = this.handle;
    this.handle = null;
    h?.close().catch(() => undefined);
  }

  write(addr: number, data: Uint8Array): Promise<void> {
    return this.queue.run(addr, 'write', async () => {
      const buf = Buffer.from(data);
      try {
        const r = await this.bus(addr).i2cWrite(addr, buf.length, buf);
        if (r.bytesWritten !== buf.length) throw new I2cError('io', this.name, addr, `short write ${r.bytesWritten}/${buf.length}`);
      } catch (err) {
        this.fail(addr, 'write', err);
      }
    });
  }

  read(addr: number, length: number): Promise<Uint8Array> {
    return this.queue.run(addr, 'read', async () => {
      const buf = Buffer.alloc(length);
      try {
        const r = await this.bus(addr).i2cRead(addr, length, buf);
        if (r.bytesRead !== length) throw new I2cError('io', this.name, addr, `short read ${r.bytesRead}/${length}`);
        return new Uint8Array(buf);
      } catch (err) {
        return this.fail(addr, 'read', err);
      }
    });
  }

  writeRead(addr: number, data: Uint8Array, length: number): Promise<Uint8Array> {
    return this.queue.run(addr, 'write-read', async () => {
      const buf = Buffer.alloc(length);
      try {
        const bus = this.bus(addr);
        if (data.length === 1 && length <= SMBUS_BLOCK_MAX) {
          // SMBus "I2C block read": command byte, repeated START, data (one ioctl).
          const r = await bus.readI2cBlock(addr, data[0]!, length, buf);
          if (r.bytesRead !== length) throw new I2cError('io', this.name, addr, `short read ${r.bytesRead}/${length}`);
        } else {
          const w = Buffer.from(data);
          await bus.i2cWrite(addr, w.length, w);
          const r = await bus.i2cRead(addr, length, buf);
          if (r.bytesRead !== length) throw new I2cError('io', this.name, addr, `short read ${r.bytesRead}/${length}`);
        }
        return new Uint8Array(buf);
      } catch (err) {
        return this.fail(addr, 'write-read', err);
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
    const h = this.handle;
    this.handle = null;
    await h?.close().catch(() => undefined);
  }
}
