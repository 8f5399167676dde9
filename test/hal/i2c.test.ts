import { describe, expect, it } from 'vitest';
import { TransactionQueue } from '../../src/hal/i2c-queue.js';
import { I2cError, i2cKindFromErrno } from '../../src/hal/i2c.js';
import { LinuxI2cBus, type I2cBusApi } from '../../src/hal/linux/i2c.js';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { SimBme280 } from '../../src/sensors/sim/bme280.js';
import { SimAds1115 } from '../../src/sensors/sim/ads1115.js';

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

describe('Linux I2C bus over the i2c-bus API (chip models behind a fake adapter)', () => {
  /** An i2c-bus PromisifiedBus whose adapter hosts sim chip models; records each call. */
  function fakeAdapter(errno?: { code: string; times: number }) {
    const sim = new SimI2cBus('adapter', 1000);
    const calls: string[] = [];
    let opens = 0;
    const fail = () => {
      if (errno && errno.times > 0) {
        errno.times--;
        throw Object.assign(new Error(errno.code), { code: errno.code });
      }
    };
    const api = {
      async i2cWrite(addr: number, length: number, buf: Buffer) {
        calls.push(`write ${addr.toString(16)} [${[...buf.subarray(0, length)].join(',')}]`);
        fail();
        await sim.write(addr, buf.subarray(0, length));
        return { bytesWritten: length, buffer: buf };
      },
      async i2cRead(addr: number, length: number, buf: Buffer) {
        calls.push(`read ${addr.toString(16)} ${length}`);
        fail();
        buf.set(await sim.read(addr, length));
        return { bytesRead: length, buffer: buf };
      },
      async readI2cBlock(addr: number, cmd: number, length: number, buf: Buffer) {
        calls.push(`smbus-block ${addr.toString(16)} cmd ${cmd} ${length}`);
        fail();
        buf.set(await sim.writeRead(addr, Uint8Array.of(cmd), length));
        return { bytesRead: length, buffer: buf };
      },
      async close() {},
    };
    return { sim, calls, open: () => (opens++, api), opens: () => opens };
  }

  it('register reads go out as one SMBus I2C-block read (repeated start); plain reads and writes as read()/write()', async () => {
    const a = fakeAdapter();
    a.sim.attach(0x76, new SimBme280(() => 0, () => ({ temperatureC: 20, humidityPct: 50, pressurePa: 100_000 })));
    const bus = new LinuxI2cBus(1, 100, a.open);
    expect([...(await bus.writeRead(0x76, Uint8Array.of(0xd0), 1))]).toEqual([0x60]);
    await bus.write(0x76, Uint8Array.of(0xf2, 0x01));
    expect(await bus.read(0x76, 2)).toHaveLength(2);
    expect(a.calls).toEqual(['smbus-block 76 cmd 208 1', 'write 76 [242,1]', 'read 76 2']);
    // longer than the SMBus block limit (32): write the pointer, then read
    await bus.writeRead(0x76, Uint8Array.of(0x88), 40);
    expect(a.calls.slice(-2)).toEqual(['write 76 [136]', 'read 76 40']);
    await bus.close();
  });

  it('an SMBus-only adapter (no I2C_FUNC_I2C) gets SMBus transfers: write byte data, I2C block write, send/receive byte; other shapes fail as io', async () => {
    const calls: string[] = [];
    const api = {
      i2cFuncs: async () => ({ i2c: false }) as Awaited<ReturnType<NonNullable<I2cBusApi['i2cFuncs']>>>,
      i2cWrite: async () => (calls.push('i2c write'), { bytesWritten: 0, buffer: Buffer.alloc(0) }),
      i2cRead: async () => (calls.push('i2c read'), { bytesRead: 0, buffer: Buffer.alloc(0) }),
      readI2cBlock: async (_a: number, cmd: number, length: number, buf: Buffer) => (calls.push(`block read ${cmd} ${length}`), { bytesRead: length, buffer: buf }),
      writeByte: async (_a: number, cmd: number, b: number) => void calls.push(`write byte ${cmd} ${b}`),
      writeI2cBlock: async (_a: number, cmd: number, length: number, buf: Buffer) => (calls.push(`block write ${cmd} [${[...buf.subarray(0, length)].join(',')}]`), { bytesWritten: length, buffer: buf }),
      sendByte: async (_a: number, b: number) => void calls.push(`send byte ${b}`),
      receiveByte: async () => (calls.push('receive byte'), 7),
      close: async () => {},
    };
    const bus = new LinuxI2cBus(1, 100, () => api);
    await bus.write(0x76, Uint8Array.of(0xf2, 0x01));
    await bus.write(0x48, Uint8Array.of(0x01, 0x85, 0x83));
    await bus.write(0x70, Uint8Array.of(0x20));
    expect([...(await bus.read(0x70, 1))]).toEqual([7]);
    expect(await bus.writeRead(0x76, Uint8Array.of(0x88), 26)).toHaveLength(26);
    expect(calls).toEqual(['write byte 242 1', 'block write 1 [133,131]', 'send byte 32', 'receive byte', 'block read 136 26']);
    await expect(bus.read(0x76, 2)).rejects.toMatchObject({ kind: 'io', message: expect.stringMatching(/no SMBus form/) });
    await expect(bus.write(0x76, new Uint8Array(40))).rejects.toMatchObject({ kind: 'io', message: expect.stringMatching(/no SMBus form/) });
    await expect(bus.writeRead(0x76, Uint8Array.of(0x88), 40)).rejects.toMatchObject({ kind: 'io' });
    expect(calls).toHaveLength(5); // never fell back to plain I2C
    await bus.close();
  });

  it('ENXIO (no ACK) and EREMOTEIO are nack, EIO is io; ENOENT drops the handle and the next call reopens', async () => {
    const a = fakeAdapter({ code: 'ENXIO', times: 1 });
    a.sim.attach(0x48, new SimAds1115(() => 0, () => 0));
    const bus = new LinuxI2cBus(1, 100, a.open);
    await expect(bus.read(0x48, 2)).rejects.toMatchObject({ kind: 'nack' });
    const b = fakeAdapter({ code: 'EIO', times: 1 });
    b.sim.attach(0x48, new SimAds1115(() => 0, () => 0));
    await expect(new LinuxI2cBus(1, 100, b.open).read(0x48, 2)).rejects.toMatchObject({ kind: 'io' });
    const c = fakeAdapter({ code: 'ENOENT', times: 1 });
    c.sim.attach(0x48, new SimAds1115(() => 0, () => 0));
    const bc = new LinuxI2cBus(1, 100, c.open);
    await expect(bc.read(0x48, 2)).rejects.toMatchObject({ kind: 'nodev', message: expect.stringMatching(/dtparam=i2c_arm=on/) });
    expect(await bc.read(0x48, 2)).toHaveLength(2);
    expect(c.opens()).toBe(2);
  });
});
