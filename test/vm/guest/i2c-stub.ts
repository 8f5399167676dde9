/**
 * Runs inside the VM (see test/vm/i2c.test.ts): the real i2c-bus code and the sensor
 * drivers on LinuxI2cBus against the kernel's i2c-stub through /dev/i2c-N, whose
 * register files the job preloaded with i2cset. Prints one JSON line per check.
 *   node --import tsx test/vm/guest/i2c-stub.ts BUS
 */
import i2c from 'i2c-bus';
import { LinuxI2cBus } from '../../../src/hal/linux/i2c.js';
import { Bme280 } from '../../../src/sensors/chips/bme280.js';
import { Tca9548a } from '../../../src/sensors/chips/tca9548a.js';
import { Ads1115 } from '../../../src/sensors/chips/ads1115.js';

const n = Number(process.argv[2]);
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const attempt = async (t: string, fn: () => Promise<Record<string, unknown>>): Promise<void> => {
  try {
    out({ t, ...(await fn()) });
  } catch (e) {
    out({ t, error: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
  }
};

const raw = i2c.openSync(n);
const f = raw.i2cFuncsSync();
out({ t: 'funcs', i2c: f.i2c, smbusByteData: f.smbusReadByte && f.smbusWriteByte, smbusI2cBlock: f.smbusReadI2cBlock && f.smbusWriteI2cBlock });
await attempt('plain-write', async () => ({ bytes: raw.i2cWriteSync(0x76, 2, Buffer.of(0xf2, 0x01)) }));
raw.closeSync();

const bus = new LinuxI2cBus(n, 1000);
const noWait = async (): Promise<void> => undefined;
await attempt('bme280', async () => ({ ...(await new Bme280(bus, 0x76, noWait).read()) }));
await attempt('bme280-ctrl', async () => ({ ctrlHum: (await bus.writeRead(0x76, Uint8Array.of(0xf2), 1))[0], ctrlMeas: (await bus.writeRead(0x76, Uint8Array.of(0xf4), 1))[0] }));
await attempt('tca9548a', async () => {
  const sw = new Tca9548a(bus, 0x70);
  await sw.select(5);
  return { control: await sw.readControl() };
});
await attempt('ads1115', async () => ({ ...(await new Ads1115(bus, 0x48, noWait).read('ain0', 4.096, 128)) }));
await attempt('absent', async () => ({ got: [...(await bus.writeRead(0x29, Uint8Array.of(0), 1))] }));
await bus.close();
