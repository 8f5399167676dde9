import { addressError, I2cError } from './i2c.js';

/**
 * Runs one transaction at a time with a timeout on each: the shared core of the
 * real and simulated buses. A transaction that times out is abandoned (its late
 * result ignored) and the next one starts, so one hung device cannot stall the bus
 * for longer than the timeout.
 */
export class TransactionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private pending = 0;

  constructor(
    private readonly bus: string,
    private readonly timeoutMs: number,
    /** Bound on waiting transactions: past it callers get an `io` error at once. */
    private readonly maxPending = 64,
  ) {}

  get depth(): number {
    return this.pending;
  }

  run<T>(addr: number, what: string, op: () => Promise<T>): Promise<T> {
    const bad = addressError(this.bus, addr);
    if (bad) return Promise.reject(bad);
    if (this.closed) return Promise.reject(new I2cError('closed', this.bus, addr, `${what} after close`));
    if (this.pending >= this.maxPending) return Promise.reject(new I2cError('io', this.bus, addr, `${what}: ${this.pending} transactions already waiting`));
    this.pending++;
    const result = this.tail.then(() => this.withTimeout(addr, what, op));
    this.tail = result.catch(() => undefined);
    return result.finally(() => {
      this.pending--;
    });
  }

  private withTimeout<T>(addr: number, what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new I2cError('closed', this.bus, addr, `${what}: bus closed`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new I2cError('timeout', this.bus, addr, `${what}: no completion within ${this.timeoutMs} ms`)), this.timeoutMs);
      let p: Promise<T>;
      try {
        p = op();
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** Rejects everything queued from now on; waits for the running transaction. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}
