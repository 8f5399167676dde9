import { addressError, I2cError } from './i2c.js';

/**
 * Runs one transaction at a time with a timeout on each: the shared core of the
 * real and simulated buses. A transaction that times out is abandoned (its late
 * result ignored). Until the abandoned one has really finished (the kernel aborts a
 * stuck transfer after its adapter timeout), the bus is held: the next transaction
 * waits for it within its own timeout instead of issuing another ioctl, so blocked
 * calls never pile up on libuv's small thread pool, which the rest of the agent
 * (fs, dns) shares.
 */
export class TransactionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private pending = 0;
  /** An abandoned transaction that has not settled yet. */
  private stuck: Promise<unknown> | null = null;

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

  private async withTimeout<T>(addr: number, what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new I2cError('closed', this.bus, addr, `${what}: bus closed`);
    const deadline = performance.now() + this.timeoutMs;
    if (this.stuck) {
      // Wait (within this transaction's own timeout) for the abandoned one to end.
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((r) => (timer = setTimeout(() => r('expired'), this.timeoutMs)));
      const r = await Promise.race([this.stuck.then(() => 'free' as const), expired]);
      clearTimeout(timer);
      if (r === 'expired') throw new I2cError('timeout', this.bus, addr, `${what}: bus still held by an abandoned transaction`);
    }
    return new Promise<T>((resolve, reject) => {
      let p: Promise<T>;
      try {
        p = op();
      } catch (err) {
        p = Promise.reject(err);
      }
      const timer = setTimeout(() => {
        const held = p.then(
          () => undefined,
          () => undefined,
        );
        this.stuck = held;
        void held.then(() => {
          if (this.stuck === held) this.stuck = null;
        });
        reject(new I2cError('timeout', this.bus, addr, `${what}: no completion within ${this.timeoutMs} ms`));
      }, Math.max(1, deadline - performance.now()));
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
