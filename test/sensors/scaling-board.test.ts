import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleForward, scaleInverse, missingScaleFields, type ScaleSpec } from '../../src/sensors/scaling.js';
import { loadBoard } from '../../src/hal/board.js';
import { checkBoardWiring } from '../../src/sensors/board-check.js';
import { ConfigError } from '../../src/base/errors.js';
import { repoRoot } from '../support/shared.js';

describe('board scaling', () => {
  it('battery divider 100k/10k: 2.5 V at the ADC is 27.5 V', () => {
    expect(scaleForward({ type: 'divider', rTop: 100_000, rBottom: 10_000 }, 2.5)).toBeCloseTo(27.5, 9);
  });

  it('ratiometric oil sender 0.5-4.5 V = 0-1000 kPa behind a 10k/20k divider: 2.0 V at the ADC = 3.0 V = 625 kPa', () => {
    expect(scaleForward({ type: 'linear', rTop: 10_000, rBottom: 20_000, v0: 0.5, v1: 4.5, y0: 0, y1: 1000 }, 2.0)).toBeCloseTo(625, 9);
  });

  it('NTC beta model gives r25 at 25 °C; Steinhart-Hart with 10k coefficients gives about 25 °C at 10 kΩ', () => {
    const beta: ScaleSpec = { type: 'ntc-beta', pullupOhms: 2000, vref: 3.3, r25: 2000, beta: 3450 };
    expect(scaleForward(beta, 1.65)).toBeCloseTo(25, 9); // R = pull-up -> half of vref
    const sh: ScaleSpec = { type: 'ntc-steinhart', pullupOhms: 10_000, vref: 3.3, a: 1.129148e-3, b: 2.34125e-4, c: 8.76741e-8 };
    expect(scaleForward(sh, 1.65)).toBeCloseTo(25, 1);
  });

  it('fuel sender 240 Ω empty .. 33 Ω full with a 220 Ω pull-up', () => {
    const s: ScaleSpec = { type: 'resistive', pullupOhms: 220, vref: 3.3, r0: 240, y0: 0, r1: 33, y1: 100 };
    expect(scaleForward(s, (3.3 * 240) / 460)).toBeCloseTo(0, 9);
    expect(scaleForward(s, (3.3 * 33) / 253)).toBeCloseTo(100, 9);
  });

  it.each([
    [{ type: 'divider', rTop: 100_000, rBottom: 10_000 }, [12, 24, 28.4]],
    [{ type: 'linear', rTop: 10_000, rBottom: 20_000, v0: 0.5, v1: 4.5, y0: 0, y1: 1000 }, [0, 300, 950]],
    [{ type: 'resistive', pullupOhms: 220, vref: 3.3, r0: 240, y0: 0, r1: 33, y1: 100 }, [0, 50, 100]],
    [{ type: 'ntc-beta', pullupOhms: 1000, vref: 3.3, r25: 2000, beta: 3450 }, [-20, 25, 90, 120]],
    [{ type: 'ntc-steinhart', pullupOhms: 1000, vref: 3.3, a: 1.4e-3, b: 2.37e-4, c: 9.9e-8 }, [-20, 25, 90, 120]],
  ] as [ScaleSpec, number[]][])('%o: the simulated wiring (inverse) round-trips', (s, xs) => {
    for (const x of xs) expect(scaleForward(s, scaleInverse(s, x))).toBeCloseTo(x, 6);
  });

  it('names the fields a scale type lacks', () => {
    expect(missingScaleFields({ type: 'ntc-beta', pullupOhms: 1000, vref: 3.3 })).toEqual(['r25', 'beta']);
  });
});

type Obj = Record<string, unknown>;
/** The parts of a board JSON the cases below edit. */
interface J {
  i2c: { tyres: Obj[]; adcs: Record<string, Obj>; analog: Record<string, Obj & { scale: Obj }> };
  gpio: { leds: Record<string, Obj> };
}

describe('board files', () => {
  it.each(['pi4-fleet', 'pi5-fleet', 'sim'])('%s loads and its wiring checks out', (name) => {
    const b = loadBoard(name, repoRoot);
    expect(() => checkBoardWiring(b)).not.toThrow();
    expect(b.i2c!.tyres).toHaveLength(6);
    expect(new Set(b.i2c!.tyres!.map((t) => t.channel)).size).toBe(6);
  });

  it('pi4 and pi5 name their sysfs GPIO chip', () => {
    expect(loadBoard('pi4-fleet', repoRoot).gpio!.chipLabel).toBe('pinctrl-bcm2711');
    expect(loadBoard('pi5-fleet', repoRoot).gpio!.chipLabel).toBe('pinctrl-rp1');
  });

  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function broken(edit: (b: J) => unknown): () => void {
    const b = JSON.parse(readFileSync(join(repoRoot, 'board', 'pi4-fleet.json'), 'utf8')) as J;
    edit(b);
    const dir = mkdtempSync(join(tmpdir(), 'sensors-board-'));
    dirs.push(dir);
    const f = join(dir, 'b.json');
    writeFileSync(f, JSON.stringify(b));
    return () => checkBoardWiring(loadBoard(f, dir));
  }

  it.each([
    ['a tyre behind an unknown mux', (b: J) => (b.i2c.tyres[0]!.mux = 'nope'), /i2c.tyres\[0\].mux.*no mux named "nope"/],
    ['two tyres on one channel at one address', (b: J) => (b.i2c.tyres[1]!.channel = 0), /i2c.tyres\[1\].*already used by i2c.tyres\[0\]/],
    ['a mux channel device colliding with a root chip', (b: J) => (b.i2c.tyres[0]!.address = 0x48), /collides with i2c.adcs.engine-adc/],
    ['an analog input on an unknown ADC', (b: J) => (b.i2c.analog.oil!.adc = 'adc9'), /i2c.analog.oil.adc.*no ADC named/],
    ['an NTC without beta', (b: J) => delete b.i2c.analog.coolant!.scale.beta, /i2c.analog.coolant.scale.*needs beta/],
    ['a PGA range the chip does not have', (b: J) => (b.i2c.analog.oil!.fullScaleV = 3.3), /fullScaleV.*3.3 is not one of/],
    ['a LED on the tach line', (b: J) => (b.gpio.leds.fault!.line = 27), /gpio.tach.line.*GPIO 27 is already used by gpio.leds.fault.line/],
    ['a LED on the I2C pins', (b: J) => (b.gpio.leds.gnss!.line = 2), /GPIO 2 is I2C-1/],
  ])('%s is a ConfigError naming the key', (_what, edit, msg) => {
    const f = broken(edit);
    expect(f).toThrow(ConfigError);
    expect(f).toThrow(msg);
  });

  it('an address outside the chip range is rejected by the schema with the key', () => {
    expect(broken((b: J) => (b.i2c.adcs['engine-adc']!.address = 0x50))).toThrow(/i2c.adcs.engine-adc.address.*out of range/);
  });
});
