import { I2cError, type I2cBus } from '../i2c.js';
import { TransactionQueue } from '../i2c-queue.js';

/**
 * A chip model on the simulated bus, at register level: it sees exactly the bytes
 * a real chip would see after acknowledging its address, and answers reads with
 * the bytes the real chip would put on the wire.
 */
export interface SimI2cDevice {
  /** The master wrote `data` in one transaction (after addr+W). */
  onWrite(data: Uint8Array): void;
  /** The master reads `length` bytes (after addr+R). */
  onRead(length: number): Uint8Array;
  /** Devices reachable through this one when it is an I2C switch (enabled channels only). */
  downstream?(): Iterable<[number, SimI2cDevice]>;
}

/** Faults a test or the simulated board can inject into one device. */
export type SimFault =
  | { kind: 'nack' } // address not acknowledged (unplugged, dead)
  | { kind: 'eio' } // transfer starts, then fails
  | { kind: 'hang' }; // SCL held low: the transfer completes only when the adapter gives up (hangMs)

export interface SimTranscriptEntry {
  addr: number;
  write?: number[];
  read?: number[];
}

/**
 * A simulated I2C adapter hosting chip models. Same queue and timeout as the
 * Linux bus, so hung transactions time out exactly as they would on a Pi.
 * Test controls (attach, fault, transcript) live here, not on `I2cBus`.
 */
export class SimI2cBus implements I2cBus {
  readonly name: string;
  private readonly queue: TransactionQueue;
  private readonly root = new Map<number, SimI2cDevice>();
  private readonly faults = new Map<SimI2cDevice, { fault: SimFault; remaining: number }>();
  readonly transcript: SimTranscriptEntry[] = [];
  /** Keep at most this many transcript entries (oldest dropped). */
  transcriptLimit = 512;
  /** Counts completed transactions (for benchmarks and tests). */
  transactions = 0;
  /**
   * How long a hung transfer holds the bus before the adapter aborts it with a
   * timeout (the i2c-bcm2835 driver gives up after about a second).
   */
  hangMs = 1000;

  constructor(name = 'sim-i2c', timeoutMs = 100) {
    this.name = name;
    this.queue = new TransactionQueue(name, timeoutMs);
  }

  /** Puts a device on the root segment. */
  attach(addr: number, dev: SimI2cDevice): void {
    if (this.root.has(addr)) throw new Error(`${this.name}: address 0x${addr.toString(16)} already taken`);
    this.root.set(addr, dev);
  }

  /** Injects a fault into `dev` for the next `count` transactions (default: until cleared). */
  fault(dev: SimI2cDevice, fault: SimFault, count = Infinity): void {
    this.faults.set(dev, { fault, remaining: count });
  }

  /** The device comes back. */
  clearFault(dev: SimI2cDevice): void {
    this.faults.delete(dev);
  }

  clearTranscript(): void {
    this.transcript.length = 0;
  }

  /** Every device that would acknowledge `addr` now (more than one is a bus collision). */
  private resolve(addr: number): SimI2cDevice[] {
    const found: SimI2cDevice[] = [];
    const walk = (segment: Iterable<[number, SimI2cDevice]>): void => {
      for (const [a, dev] of segment) {
        if (a === addr) found.push(dev);
        if (dev.downstream) walk(dev.downstream());
      }
    };
    walk(this.root);
    return found;
  }

  private record(e: SimTranscriptEntry): void {
    this.transcript.push(e);
    if (this.transcript.length > this.transcriptLimit) this.transcript.splice(0, this.transcript.length - this.transcriptLimit);
  }

  private transact<T>(addr: number, what: string, body: (dev: SimI2cDevice) => T): Promise<T> {
    return this.queue.run(addr, what, () => {
      const devs = this.resolve(addr);
      if (devs.length === 0) return Promise.reject(new I2cError('nack', this.name, addr, `${what}: no ACK`));
      if (devs.length > 1) return Promise.reject(new I2cError('io', this.name, addr, `${what}: ${devs.length} devices answered at once (bus collision)`));
      const dev = devs[0]!;
      const f = this.faults.get(dev);
      if (f) {
        if (--f.remaining <= 0) this.faults.delete(dev);
        if (f.fault.kind === 'nack') return Promise.reject(new I2cError('nack', this.name, addr, `${what}: no ACK`));
        if (f.fault.kind === 'eio') return Promise.reject(new I2cError('io', this.name, addr, `${what}: EIO`));
        return new Promise<T>((_, reject) => {
          const t = setTimeout(() => reject(new I2cError('timeout', this.name, addr, `${what}: adapter timeout (SCL held low)`)), this.hangMs);
          t.unref?.();
        });
      }
      this.transactions++;
      return Promise.resolve(body(dev));
    });
  }

  write(addr: number, data: Uint8Array): Promise<void> {
    return this.transact(addr, 'write', (dev) => {
      this.record({ addr, write: [...data] });
      dev.onWrite(data);
    });
  }

  read(addr: number, length: number): Promise<Uint8Array> {
    return this.transact(addr, 'read', (dev) => {
      const out = fit(dev.onRead(length), length);
      this.record({ addr, read: [...out] });
      return out;
    });
  }

  writeRead(addr: number, data: Uint8Array, length: number): Promise<Uint8Array> {
    return this.transact(addr, 'write-read', (dev) => {
      dev.onWrite(data);
      const out = fit(dev.onRead(length), length);
      this.record({ addr, write: [...data], read: [...out] });
      return out;
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** A real master clocks exactly `length` bytes; an idle bus reads 0xFF. */
function fit(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  const out = new Uint8Array(length).fill(0xff);
  out.set(bytes.subarray(0, length));
  return out;
}
