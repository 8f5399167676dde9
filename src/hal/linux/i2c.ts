import i2c from 'i2c-bus';
import { I2cError, i2cKindFromErrno, type I2cBus } from '../i2c.js';
import { TransactionQueue } from '../i2c-queue.js';
import { errorCode, errorMessage } from '../../base/errors.js';

/** Largest SMBus I2C-block read: the kernel's I2C_SMBUS_BLOCK_MAX. */
const SMBUS_BLOCK_MAX = 32;

/**
 * /dev/i2c-N through i2c-bus: one file handle per bus, opened lazily and reopened
 * after `nodev` (the adapter may appear later, e.g. after `modprobe i2c-dev`).
 */
/**
 * The part of i2c-bus this bus uses (tests pass one backed by chip models). Without
 * `i2cFuncs` the adapter is taken to speak plain I2C.
 */
export type I2cBusApi = Pick<i2c.PromisifiedBus, 'i2cRead' | 'i2cWrite' | 'readI2cBlock' | 'close'> &
  Partial<Pick<i2c.PromisifiedBus, 'i2cFuncs' | 'sendByte' | 'receiveByte' | 'writeByte' | 'writeI2cBlock'>>;

/**
 * Transfers for an adapter that speaks SMBus only (no I2C_FUNC_I2C: x86 SMBus controllers,
 * USB bridges, the kernel's i2c-stub), where read()/write() on /dev/i2c-N fail with
 * EOPNOTSUPP: a register write becomes "write byte data" or "I2C block write", a one-byte
 * write "send byte", a one-byte read "receive byte". Anything else has no SMBus form.
 */
async function smbusWrite(bus: I2cBusApi, addr: number, buf: Buffer): Promise<boolean> {
  if (buf.length === 1 && bus.sendByte) await bus.sendByte(addr, buf[0]!);
  else if (buf.length === 2 && bus.writeByte) await bus.writeByte(addr, buf[0]!, buf[1]!);
  else if (buf.length > 2 && buf.length <= SMBUS_BLOCK_MAX + 1 && bus.writeI2cBlock) await bus.writeI2cBlock(addr, buf[0]!, buf.length - 1, buf.subarray(1));
  else return false;
  return true;
}

const openI2cDev = (n: number): I2cBusApi => i2c.openSync(n).promisifiedBus();

export class LinuxI2cBus implements I2cBus {
  readonly name: string;
  private readonly queue: TransactionQueue;
  private handle: I2cBusApi | null = null;
  /** Whether the open adapter lacks plain I2C (asked once per handle). */
  private smbusOnly: Promise<boolean> | null = null;

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
      const h = this.openBus(this.busNumber);
      this.handle = h;
      this.smbusOnly = h.i2cFuncs ? h.i2cFuncs().then((f) => !f.i2c, () => false) : Promise.resolve(false);
      return h;
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
    this.smbusOnly = null;
    h?.close().catch(() => undefined);
  }

  write(addr: number, data: Uint8Array): Promise<void> {
    return this.queue.run(addr, 'write', async () => {
      const buf = Buffer.from(data);
      try {
        const bus = this.bus(addr);
        if (await this.smbusOnly) {
          if (await smbusWrite(bus, addr, buf)) return;
          throw new I2cError('io', this.name, addr, `write of ${buf.length} bytes has no SMBus form and the adapter speaks SMBus only`);
        }
        const r = await bus.i2cWrite(addr, buf.length, buf);
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
        const bus = this.bus(addr);
        if (await this.smbusOnly) {
          if (length !== 1 || !bus.receiveByte) throw new I2cError('io', this.name, addr, `read of ${length} bytes has no SMBus form and the adapter speaks SMBus only`);
          return Uint8Array.of(await bus.receiveByte(addr));
        }
        const r = await bus.i2cRead(addr, length, buf);
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
          if (await this.smbusOnly) throw new I2cError('io', this.name, addr, `write-read of ${data.length}+${length} bytes has no SMBus form and the adapter speaks SMBus only`);
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
