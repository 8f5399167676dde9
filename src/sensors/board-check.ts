import type { Board } from '../hal/board.js';
import { ConfigError } from '../base/errors.js';
import { ADS1115_FSR, ADS1115_RATES } from './chips/ads1115.js';
import { missingScaleFields } from './scaling.js';

/**
 * Checks what the declarative schema cannot: names that refer to other entries,
 * scale fields per type, address collisions on one bus segment. Errors name the
 * board file and the key.
 */
export function checkBoardWiring(board: Board): void {
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(board.file, key, problem);
  };
  const i2c = board.i2c;
  if (i2c) {
    const muxes = i2c.muxes ?? {};
    const adcs = i2c.adcs ?? {};
    /** segment ("root" or "mux:channel") -> address -> key that uses it */
    const taken = new Map<string, Map<number, string>>();
    const use = (segment: string, address: number, key: string): void => {
      const seg = taken.get(segment) ?? new Map<number, string>();
      taken.set(segment, seg);
      const other = seg.get(address);
      if (other) fail(key, `address 0x${address.toString(16)} is already used by ${other} on the same bus segment`);
      seg.set(address, key);
    };
    const segmentOf = (key: string, mux: string | undefined, channel: number | undefined): string => {
      if (mux === undefined) {
        if (channel !== undefined) fail(`${key}.channel`, 'channel given without mux');
        return 'root';
      }
      if (!(mux in muxes)) fail(`${key}.mux`, `no mux named "${mux}" (known: ${Object.keys(muxes).join(', ') || 'none'})`);
      if (channel === undefined) fail(`${key}.channel`, `is required behind mux "${mux}"`);
      return `${mux}:${channel}`;
    };
    for (const [n, m] of Object.entries(muxes)) use('root', m.address, `i2c.muxes.${n}`);
    for (const [n, a] of Object.entries(adcs)) {
      use('root', a.address, `i2c.adcs.${n}`);
      if (!ADS1115_RATES.includes(a.dataRate)) fail(`i2c.adcs.${n}.dataRate`, `${a.dataRate} is not one of ${ADS1115_RATES.join(', ')}`);
    }
    for (const [q, ch] of Object.entries(i2c.analog ?? {})) {
      if (!ch) continue;
      const key = `i2c.analog.${q}`;
      if (!(ch.adc in adcs)) fail(`${key}.adc`, `no ADC named "${ch.adc}" (known: ${Object.keys(adcs).join(', ') || 'none'})`);
      if (!ADS1115_FSR.includes(ch.fullScaleV)) fail(`${key}.fullScaleV`, `${ch.fullScaleV} is not one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256`);
      const missing = missingScaleFields(ch.scale);
      if (missing.length) fail(`${key}.scale`, `type "${ch.scale.type}" needs ${missing.join(', ')}`);
    }
    const positions = new Set<string>();
    (i2c.tyres ?? []).forEach((t, i) => {
      const key = `i2c.tyres[${i}]`;
      if (positions.has(t.position)) fail(`${key}.position`, `"${t.position}" appears twice`);
      positions.add(t.position);
      if (t.pMaxKpa <= t.pMinKpa) fail(`${key}.pMaxKpa`, `must be above pMinKpa (${t.pMinKpa})`);
      use(segmentOf(key, t.mux, t.channel), t.address, key);
    });
    if (i2c.cabin) use(segmentOf('i2c.cabin', i2c.cabin.mux, i2c.cabin.channel), i2c.cabin.address, 'i2c.cabin');
    // A chip behind a switch must not share an address with one on the root segment:
    // both would answer while that channel is on.
    const root = taken.get('root') ?? new Map<number, string>();
    for (const [seg, addrs] of taken) {
      if (seg === 'root') continue;
      for (const [a, key] of addrs) if (root.has(a)) fail(key, `address 0x${a.toString(16)} collides with ${root.get(a)} on the main bus (both answer while channel ${seg} is on)`);
    }
  }
  const gpio = board.gpio;
  if (gpio) {
    const lines = new Map<number, string>();
    const claim = (line: number, key: string): void => {
      const other = lines.get(line);
      if (other) fail(key, `GPIO ${line} is already used by ${other}`);
      lines.set(line, key);
    };
    for (const [n, l] of Object.entries(gpio.leds ?? {})) if (l) claim(l.line, `gpio.leds.${n}.line`);
    if (gpio.ignition) claim(gpio.ignition.line, 'gpio.ignition.line');
    if (gpio.tach) claim(gpio.tach.line, 'gpio.tach.line');
    for (const [l, key] of lines) if (l === 2 || l === 3) fail(key, `GPIO ${l} is I2C-1 (SDA/SCL)`);
  }
}
