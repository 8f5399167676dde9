import { describe, expect, it } from 'vitest';
import { TransactionQueue } from '../../src/hal/i2c-queue.js';
import { I2cError, i2cKindFromErrno } from '../../src/hal/i2c.js';
import { LinuxI2cBus } from '../../src/hal/linux/i2c.js';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';

describe('I2C transaction queue', () => {
  it('never overlaps transactions on one bus', async () => {
    const q = new TransactionQueue('t', 1000);
    let active = 0;
    let maxActive = 0;
    const op = () =>
      q.run(0x10, 'op', async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
      });
    await Promise.all(Array.from({ length: 10 }, op));
    expect(maxActive).toBe(1);
  });

  it('a hung transaction times out; until it really ends the bus fails fast (no pile-up of blocked ioctls); then it works again', async () => {
    const q = new TransactionQueue('t', 20);
    let release!: () => void;
    let started = 0;
    const hung = q.run(0x10, 'read', () => new Promise<void>((r) => (release = r)));
    await expect(hung).rejects.toMatchObject({ kind: 'timeout', addr: 0x10 });
    const during = q.run(0x11, 'read', async () => {
      started++;
      return 42;
    });
    await expect(during).rejects.toThrow(/bus still held by an abandoned transaction/);
    expect(started).toBe(0); // never issued while the bus is held
    release();
    await new Promise((r) => setTimeout(r, 0));
    await expect(q.run(0x11, 'read', async () => 42)).resolves.toBe(42);
  });

  it('bounds the number of waiting transactions instead of growing without limit', async () => {
    const q = new TransactionQueue('t', 50, 3);
    const all = Array.from({ length: 5 }, () => q.run(0x10, 'op', () => new Promise((r) => setTimeout(r, 1))));
    const settled = await Promise.allSettled(all);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(2);
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ kind: 'io', message: expect.stringMatching(/already waiting/) });
  });

  it('rejects invalid and reserved addresses without touching the bus', async () => {
    const bus = new SimI2cBus('t');
    await expect(bus.read(0x80, 1)).rejects.toThrow(/invalid 7-bit address/);
    await expect(bus.read(0x00, 1)).rejects.toThrow(I2cError);
  });

  it('after close every call rejects with closed', async () => {
    const bus = new SimI2cBus('t');
    await bus.close();
    await expect(bus.read(0x28, 2)).rejects.toMatchObject({ kind: 'closed' });
  });
});

describe('Linux I2C bus (i2c-bus)', () => {
  it('maps errno to the contract kinds', () => {
    expect(i2cKindFromErrno('ENXIO')).toBe('nack');
    expect(i2cKindFromErrno('EREMOTEIO')).toBe('nack');
    expect(i2cKindFromErrno('EIO')).toBe('io');
    expect(i2cKindFromErrno('ETIMEDOUT')).toBe('timeout');
    expect(i2cKindFromErrno('ENOENT')).toBe('nodev');
  });

  it('a bus number with no /dev/i2c-N fails with nodev naming the fix, and stays usable for a retry', async () => {
    const bus = new LinuxI2cBus(29, 200);
    const e1 = await bus.read(0x48, 2).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(I2cError);
    expect((e1 as I2cError).kind).toBe('nodev');
    expect((e1 as I2cError).message).toMatch(/i2c-29.*(dtparam=i2c_arm=on|ENOENT)/);
    const e2 = await bus.write(0x48, Uint8Array.of(1)).catch((e: unknown) => e);
    expect((e2 as I2cError).kind).toBe('nodev');
    await bus.close();
  });
});
