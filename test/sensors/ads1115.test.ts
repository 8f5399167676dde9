import { describe, expect, it } from 'vitest';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { Ads1115, ADS1115_REG, codeToVolts, singleShotConfig } from '../../src/sensors/chips/ads1115.js';
import { SimAds1115 } from '../../src/sensors/sim/ads1115.js';
import { ManualClock } from '../../src/base/clock.js';

function rig(volts: number[]) {
  const clock = new ManualClock();
  const bus = new SimI2cBus('t', 50);
  const chip = new SimAds1115(() => clock.now(), (ain) => volts[ain]!);
  chip.noiseLsb = 0;
  bus.attach(0x48, chip);
  const sleeps: number[] = [];
  const adc = new Ads1115(bus, 0x48, async (ms) => {
    sleeps.push(ms);
    clock.advance(ms);
  });
  return { clock, bus, chip, adc, sleeps };
}

describe('ADS1115 driver against the datasheet', () => {
  it('config word bits: OS=1, MUX=100 (AIN0/GND), PGA=001 (±4.096 V), MODE=1, DR=100 (128 SPS), COMP_QUE=11 is 0xC383', () => {
    expect(singleShotConfig('ain0', 4.096, 128)).toBe(0xc383);
    // AIN3/GND (111), ±2.048 V (010), 860 SPS (111): 1 111 010 1 111 00011
    expect(singleShotConfig('ain3', 2.048, 860)).toBe(0b1111010111100011);
    // differential AIN0-AIN1 (000), ±6.144 V (000), 8 SPS (000)
    expect(singleShotConfig('ain0-ain1', 6.144, 8)).toBe(0b1000000100000011);
    expect(() => singleShotConfig('ain0', 3.3, 128)).toThrow(/full-scale range 3.3 V/);
    expect(() => singleShotConfig('ain0', 4.096, 100)).toThrow(/data rate 100 SPS/);
  });

  it('reset value of the config register is 0x8583 and the conversion register starts at 0', async () => {
    const { bus } = rig([0, 0, 0, 0]);
    expect([...(await bus.writeRead(0x48, Uint8Array.of(ADS1115_REG.config), 2))]).toEqual([0x85, 0x83]);
    expect([...(await bus.writeRead(0x48, Uint8Array.of(ADS1115_REG.conversion), 2))]).toEqual([0x00, 0x00]);
  });

  it('a single-shot read writes the config with the pointer first, polls OS, then reads the conversion register big-endian', async () => {
    const { bus, adc, sleeps } = rig([1.5, 0, 0, 0]);
    const r = await adc.read('ain0', 4.096, 128);
    const t = bus.transcript;
    expect(t[0]).toEqual({ addr: 0x48, write: [0x01, 0xc3, 0x83] });
    expect(t[1]).toEqual({ addr: 0x48, write: [0x01], read: [0xc3, 0x83] }); // OS=1: ready, rest echoes
    // 1.5 V / 4.096 V * 32768 = 12000 = 0x2EE0
    expect(t[2]).toEqual({ addr: 0x48, write: [0x00], read: [0x2e, 0xe0] });
    expect(t).toHaveLength(3);
    expect(r.raw).toBe(12000);
    expect(r.volts).toBeCloseTo(1.5, 6);
    // waited at least one conversion period (1/128 s) before the first poll
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000 / 128);
  });

  it('polls again while OS reads 0 (conversion in progress)', async () => {
    const { bus, adc, clock } = rig([0.5, 0, 0, 0]);
    // A driver that sleeps too little must see OS=0 and poll again: simulate by a sleep that does not advance time the first time.
    let first = true;
    const impatient = new Ads1115(bus, 0x48, async (ms) => {
      if (!first) clock.advance(ms * 4);
      first = false;
    });
    await impatient.read('ain0', 4.096, 8);
    const polls = bus.transcript.filter((e) => e.write?.length === 1 && e.write[0] === 0x01);
    expect(polls.length).toBeGreaterThan(1);
    expect(polls[0]!.read![0]! & 0x80).toBe(0); // OS = 0 while converting
    expect(polls.at(-1)!.read![0]! & 0x80).toBe(0x80);
    void adc;
  });

  it('gives up when OS never becomes 1 instead of hanging', async () => {
    const { bus, clock } = rig([0.5, 0, 0, 0]);
    const stuck = new Ads1115(bus, 0x48, async () => undefined, 3); // time never passes
    await expect(stuck.read('ain0', 4.096, 8)).rejects.toThrow(/not ready after 3 polls/);
    void clock;
  });

  it('negative and saturated codes: 0x8000 is -FS and 0x7FFF is +FS (two\'s complement)', async () => {
    const { adc } = rig([5, 0, 0, 0]);
    const hi = await adc.read('ain0', 2.048, 128);
    expect(hi.raw).toBe(0x7fff);
    expect(hi.saturated).toBe(true);
    const { adc: adc2 } = rig([0, 1, 0, 0]);
    const neg = await adc2.read('ain0-ain1', 2.048, 128);
    expect(neg.raw).toBe(-16000);
    expect(neg.volts).toBeCloseTo(-1, 6);
    expect(codeToVolts(-32768, 4.096)).toBe(-4.096);
  });

  it('two channels read concurrently do not interleave config writes on one chip', async () => {
    const { adc, bus } = rig([1, 2, 0, 0]);
    const [a, b] = await Promise.all([adc.read('ain0', 4.096, 128), adc.read('ain1', 4.096, 128)]);
    expect(a.volts).toBeCloseTo(1, 3);
    expect(b.volts).toBeCloseTo(2, 3);
    const configWrites = bus.transcript.filter((e) => e.write?.length === 3).map((e) => e.write![1]);
    expect(configWrites).toEqual([0xc3, 0xd3]); // ain0 then ain1, never overlapping
  });

  it('a chip at the address that does not echo the config is rejected (wrong chip)', async () => {
    const clock = new ManualClock();
    const bus = new SimI2cBus('t', 50);
    bus.attach(0x48, { onWrite: () => undefined, onRead: (n) => new Uint8Array(n).fill(0xff) });
    const adc = new Ads1115(bus, 0x48, async (ms) => clock.advance(ms));
    await expect(adc.read('ain0', 4.096, 128)).rejects.toThrow(/not an ADS1115/);
  });
});
