/**
 * The I2C HAL on a real kernel: LinuxI2cBus (i2c-bus, /dev/i2c-N, i2c-dev) and the BME280,
 * TCA9548A and ADS1115 drivers against the kernel's i2c-stub, its register files preloaded
 * with i2cset. The BME280 image is what the register-level chip model holds after a forced
 * measurement of a known environment, so the driver must decode the same reading through
 * the kernel. i2c-stub speaks SMBus only (no plain I2C read/write), so this also proves the
 * bus's SMBus transfers. What i2c-stub cannot model stays with the chip models:
 * test/sensors/ads1115.test.ts (conversion-ready cycle, 16-bit registers), mux-abp.test.ts
 * (downstream gating by the switch).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { SimBme280 } from '../../src/sensors/sim/bme280.js';
import { Bme280, BME280_CTRL_MEAS_FORCED, type Bme280Reading } from '../../src/sensors/chips/bme280.js';
import { singleShotConfig } from '../../src/sensors/chips/ads1115.js';
import { runInVm, type VmResult } from '../rig/vm/vm.js';

/** The BME280 model's registers after one forced measurement of `env`, and the reading the driver made of them. */
async function bme280Image(env: { temperatureC: number; humidityPct: number; pressurePa: number }): Promise<{ regs: Uint8Array; reading: Bme280Reading }> {
  let now = 0;
  const sim = new SimBme280(() => now, () => env);
  const bus = new SimI2cBus('model', 1000);
  bus.attach(0x76, sim);
  const reading = await new Bme280(bus, 0x76, async (ms) => void (now += ms)).read();
  return { regs: sim.regs, reading };
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;
/** i2cset lines writing regs[from..to] as I2C block writes of at most 32 bytes. */
function i2cset(addr: number, regs: Uint8Array, from: number, to: number): string {
  const lines: string[] = [];
  for (let r = from; r <= to; r += 32) {
    const bytes = [...regs.subarray(r, Math.min(to + 1, r + 32))].map(hex).join(' ');
    lines.push(`i2cset -y $N ${hex(addr)} ${hex(r)} ${bytes} i`);
  }
  return lines.join('\n');
}

const ENV = { temperatureC: 22.5, humidityPct: 41, pressurePa: 98_765 };
const ADS_CONV_HI = 0x12;

describe('I2C HAL against the kernel i2c-stub (VM)', () => {
  let r: VmResult;
  let expected: Bme280Reading;
  const got: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    const img = await bme280Image(ENV);
    expected = img.reading;
    const tcaIdentity = new Uint8Array(256).map((_, i) => i);
    const script = [
      'set -e',
      'modprobe i2c-stub chip_addr=0x48,0x70,0x76',
      `N=$(grep -l '^SMBus stub driver$' /sys/bus/i2c/devices/i2c-*/name | sed 's|.*/i2c-\\([0-9]*\\)/name|\\1|')`,
      'test -c /dev/i2c-$N',
      // BME280: calibration, id, data registers (status 0xF3 stays 0: not measuring)
      i2cset(0x76, img.regs, 0x88, 0xa1),
      `i2cset -y $N 0x76 0xd0 ${hex(img.regs[0xd0]!)}`,
      i2cset(0x76, img.regs, 0xe1, 0xe7),
      i2cset(0x76, img.regs, 0xf7, 0xfe),
      // TCA9548A: no pointer, one control byte; "send byte" moves the stub's pointer, so
      // register k holding k makes "receive byte" echo the last control byte written
      ...[0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80].map((m) => `i2cset -y $N 0x70 ${hex(m)} ${hex(tcaIdentity[m]!)}`),
      // ADS1115: the conversion register's high byte
      `i2cset -y $N 0x48 0x00 ${hex(ADS_CONV_HI)}`,
      'node --import tsx test/vm/guest/i2c-stub.ts $N',
    ].join('\n');
    r = await runInVm(script, { modules: ['i2c-dev'], timeoutMs: 240_000 });
    process.stderr.write(`vm i2c: boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel}\n`);
    for (const l of r.stdout.split('\n').filter(Boolean)) {
      const o = JSON.parse(l) as { t: string };
      got[o.t] = o;
    }
    if (r.code !== 0) throw new Error(`guest job failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  }, 260_000);

  it('finds i2c-stub as /dev/i2c-N speaking SMBus only: plain I2C writes fail with EOPNOTSUPP', () => {
    expect(got.funcs).toMatchObject({ i2c: false, smbusByteData: true, smbusI2cBlock: true });
    // errno 95, EOPNOTSUPP, which Node's libuv names ENOTSUP (the same number on Linux)
    expect(got['plain-write']).toMatchObject({ code: 'ENOTSUP' });
  });

  it('the BME280 driver checks id 0x60, reads calibration and data through the kernel and decodes the reading', () => {
    const b = got.bme280 as unknown as Bme280Reading;
    expect(b.temperatureC).toBeCloseTo(expected.temperatureC, 6);
    expect(b.pressurePa).toBeCloseTo(expected.pressurePa, 3);
    expect(b.humidityPct).toBeCloseTo(expected.humidityPct, 3);
    expect(b.temperatureC).toBeCloseTo(ENV.temperatureC, 1);
    expect(b.pressurePa / 100).toBeCloseTo(ENV.pressurePa / 100, 0);
  });

  it("the driver's register writes land in the chip's registers as SMBus byte writes", () => {
    expect(got['bme280-ctrl']).toMatchObject({ ctrlHum: 1, ctrlMeas: BME280_CTRL_MEAS_FORCED });
  });

  it('the TCA9548A driver writes its control byte as SMBus send byte and reads it back with receive byte', () => {
    expect(got.tca9548a).toMatchObject({ control: 0x20 });
  });

  it("ADS1115 over i2c-stub: config write and OS poll pass, but the stub's 8-bit cells overlap the 16-bit registers", () => {
    // The conversion register's low byte is the config register's high byte: i2c-stub cannot
    // hold two 16-bit big-endian registers at consecutive addresses (the chip models do).
    const cfg = singleShotConfig('ain0', 4.096, 128);
    expect(got.ads1115).toMatchObject({ raw: (ADS_CONV_HI << 8) | (cfg >> 8) });
  });

  it('an address the stub does not answer fails with the errno i2c-stub uses for it, ENODEV', () => {
    // Real adapters say ENXIO (SMBus controllers) or EREMOTEIO (bcm2835), which the bus maps to
    // nack (test/hal/i2c.test.ts); i2c-stub returns ENODEV, which reads as nodev.
    expect(got.absent).toMatchObject({ error: expect.stringMatching(/^i2c-\d+ 0x29: nodev: write-read: ENODEV/) });
  });
});
