import { describe, expect, it } from 'vitest';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { Bme280, BME280_CTRL_MEAS_FORCED, compensateH, compensateP, compensateT, parseCalibration } from '../../src/sensors/chips/bme280.js';
import { SIM_BME280_CAL, SimBme280 } from '../../src/sensors/sim/bme280.js';
import { ManualClock } from '../../src/base/clock.js';

// Worked example of the Bosch BMP280 datasheet (section 3.12): the temperature and
// pressure compensation of the BME280 is the same code (BME280 datasheet 4.2.3).
const EXAMPLE = { T1: 27504, T2: 26435, T3: -1000, P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000, H1: 0, H2: 0, H3: 0, H4: 0, H5: 0, H6: 0 };

/** The datasheet's double-precision humidity formula (BME280 8.1), as an independent reference. */
function humidityDouble(c: typeof SIM_BME280_CAL, adcH: number, tFine: number): number {
  let h = tFine - 76800;
  h = (adcH - (c.H4 * 64 + (c.H5 / 16384) * h)) * ((c.H2 / 65536) * (1 + (c.H6 / 67108864) * h * (1 + (c.H3 / 67108864) * h)));
  h = h * (1 - (c.H1 * h) / 524288);
  return Math.max(0, Math.min(100, h));
}

describe('BME280 compensation (datasheet formulas)', () => {
  it('datasheet example: adc_T 519888 -> t_fine 128422, T = 25.08 °C; adc_P 415148 -> 100653 Pa', () => {
    const [t, tFine] = compensateT(EXAMPLE, 519888);
    expect(tFine).toBe(128422);
    expect(t).toBe(2508);
    expect(Math.floor(compensateP(EXAMPLE, 415148, tFine) / 256)).toBe(100653);
  });

  it('integer humidity agrees with the datasheet double formula within 0.1 %RH over the range', () => {
    const c = SIM_BME280_CAL;
    for (const adcT of [400000, 519888, 560000]) {
      const tFine = compensateT(c, adcT)[1];
      for (let adcH = 20000; adcH <= 45000; adcH += 2500) {
        expect(compensateH(c, adcH, tFine) / 1024).toBeCloseTo(humidityDouble(c, adcH, tFine), 1);
      }
    }
  });

  it('calibration bytes: little-endian words, dig_H4/H5 as signed 12-bit split around 0xE5', () => {
    const a = new Uint8Array(26);
    a.set([0x70, 0x6b, 0x43, 0x67, 0x18, 0xfc], 0); // T1 27504, T2 26435, T3 -1000
    a[25] = 75;
    // H2 = 362 (0x016A), H3 = 0, H4 = 0xE4<<4 | E5[3:0], H5 = 0xE6<<4 | E5[7:4], H6 = -3
    const b = Uint8Array.of(0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0xfd);
    const c = parseCalibration(a, b);
    expect([c.T1, c.T2, c.T3, c.H1, c.H2, c.H3]).toEqual([27504, 26435, -1000, 75, 362, 0]);
    expect(c.H4).toBe((0x13 << 4) | 0x9); // 313
    expect(c.H5).toBe((0x03 << 4) | 0x2); // 50
    expect(c.H6).toBe(-3);
    // negative H4: 0xE4 = 0xF0 -> -256 + low nibble
    const neg = parseCalibration(a, Uint8Array.of(0, 0, 0, 0xf0, 0x05, 0x80, 0));
    expect(neg.H4).toBe(-256 + 5);
    expect(neg.H5).toBe(-2048 + 0);
  });
});

describe('BME280 driver on the register model', () => {
  function rig(env = { temperatureC: 21.5, humidityPct: 47.3, pressurePa: 99_870 }) {
    const clock = new ManualClock(1000);
    const bus = new SimI2cBus('t', 50);
    const chip = new SimBme280(() => clock.now(), () => env);
    bus.attach(0x76, chip);
    const bme = new Bme280(bus, 0x76, async (ms) => clock.advance(ms));
    return { bus, chip, bme, clock };
  }

  it('first read: id check, calibration read once (26 bytes at 0x88, 7 at 0xE1), ctrl_hum before ctrl_meas, forced mode, burst read 0xF7', async () => {
    const { bus, bme } = rig();
    await bme.read();
    const t = bus.transcript.map((e) => ({ w: e.write, n: e.read?.length }));
    expect(t[0]).toEqual({ w: [0xd0], n: 1 });
    expect(t[1]).toEqual({ w: [0x88], n: 26 });
    expect(t[2]).toEqual({ w: [0xe1], n: 7 });
    expect(t[3]).toEqual({ w: [0xf2, 0x01], n: undefined }); // osrs_h x1
    expect(t[4]).toEqual({ w: [0xf5, 0x00], n: undefined }); // filter off
    expect(t[5]).toEqual({ w: [0xf4, 0x25], n: undefined }); // osrs_t x1, osrs_p x1, forced
    expect(BME280_CTRL_MEAS_FORCED).toBe(0x25);
    expect(t[6]).toEqual({ w: [0xf3], n: 1 });
    expect(t.at(-1)).toEqual({ w: [0xf7], n: 8 });
    bus.clearTranscript();
    await bme.read();
    expect(bus.transcript.some((e) => e.write?.[0] === 0x88)).toBe(false); // calibration read once
  });

  it('compensated values match what the simulated cabin has', async () => {
    const { bme } = rig();
    const r = await bme.read();
    expect(r.temperatureC).toBeCloseTo(21.5, 1);
    expect(r.humidityPct).toBeCloseTo(47.3, 0);
    expect(Math.abs(r.pressurePa - 99_870)).toBeLessThan(2);
  });

  it('a BMP280 (id 0x58) at the address is named as such', async () => {
    const { bus, chip, bme } = rig();
    chip.regs[0xd0] = 0x58;
    await expect(bme.read()).rejects.toThrow(/BMP280 has no humidity/);
    void bus;
  });

  it('a chip reset between reads (skipped-measurement 0x80000) is an error, and the driver sets ctrl_hum again next time', async () => {
    const { bus, chip, bme } = rig();
    await bme.read();
    bus.write(0x76, Uint8Array.of(0xe0, 0xb6)); // soft reset: ctrl_hum = 0
    await expect(bme.read()).rejects.toThrow(/skipped/);
    bus.clearTranscript();
    const r = await bme.read();
    expect(bus.transcript.some((e) => e.write?.[0] === 0xf2 && e.write[1] === 0x01)).toBe(true);
    expect(r.humidityPct).toBeGreaterThan(40);
    void chip;
  });
});
