import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../support/shared.js';
import { NmeaDecoder } from '../../src/gnss/decoder.js';
import { FIRST_ROLLOVER } from '../../src/gnss/date.js';
import { nmeaLine } from '../../src/gnss/lexer.js';
import type { Fix } from '../../src/gnss/fix.js';
import { mulberry32 } from '../../src/base/random.js';

/** Position-bearing sentences from the real captures, as mutation seeds. */
function seeds(): string[] {
  const dir = sharedData('gpsd');
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
    for (const line of readFileSync(join(dir, f), 'latin1').split(/\r?\n/)) {
      if (/^\$..(GGA|RMC|GLL|GNS),\d{6}[^*]*,[AD\d],/.test(line) || /^\$..(RMC|GLL),[^*]*,A[,*]/.test(line)) {
        if (/^\$[^$*]+\*[0-9A-F]{2}$/.test(line)) out.push(line);
      }
    }
  }
  return out;
}

/** Does any `$...*hh` inside this text carry a correct checksum? (independent oracle) */
function containsValidFrame(s: string): boolean {
  for (let i = s.indexOf('$'); i >= 0; i = s.indexOf('$', i + 1)) {
    let x = 0;
    for (let j = i + 1; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x24 || c < 0x20 || c > 0x7e) break;
      if (c === 0x2a && j + 2 < s.length + 0) {
        const hh = s.slice(j + 1, j + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hh) && parseInt(hh, 16) === x) return true;
      }
      x ^= c;
    }
  }
  return false;
}

const BYTES = '$*,.0123456789ABCDEFGNPRSVWZ \r\n\0\xb5b';

function mutate(line: string, r: () => number): string {
  const n = 1 + Math.floor(r() * 3);
  let s = line;
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * s.length);
    const ch = BYTES[Math.floor(r() * BYTES.length)]!;
    switch (Math.floor(r() * 7)) {
      case 0: s = s.slice(0, i) + ch + s.slice(i + 1); break; // replace
      case 1: s = s.slice(0, i) + ch + s.slice(i); break; // insert
      case 2: s = s.slice(0, i) + s.slice(i + 1); break; // delete
      case 3: s = s.slice(0, i); break; // truncate
      case 4: s = s.slice(0, i) + s.slice(i, i + 8) + s.slice(i); break; // duplicate a run
      case 5: s = s.slice(0, i) + String.fromCharCode(48 + ((s.charCodeAt(i) - 47) % 10)) + s.slice(i + 1); break; // digit change
      default: s = s.slice(0, i) + '\0'.repeat(1 + Math.floor(r() * 6)) + s.slice(i); // NUL run
    }
  }
  return s;
}

function randomFields(r: () => number): string {
  const types = ['GGA', 'RMC', 'VTG', 'GSA', 'GSV', 'GLL', 'GNS', 'ZDA', 'TXT', 'XYZ'];
  const talkers = ['GP', 'GN', 'GL', 'GA', 'GB', 'BD', 'GQ', 'GI', 'P'];
  const atoms = ['', '0', '1', '3', 'A', 'V', 'N', 'E', 'W', 'S', 'M', 'T', 'K', '999999', '123519.00', '4807.038', '01131.000', '9999.9999', '-1', '.', '1e5', '230394', '310299', 'NaN', 'x', '12', '2026'];
  const n = Math.floor(r() * 22);
  const f: string[] = [`${talkers[Math.floor(r() * talkers.length)]}${types[Math.floor(r() * types.length)]}`];
  for (let i = 0; i < n; i++) f.push(atoms[Math.floor(r() * atoms.length)]!);
  return f.join(',');
}

describe('fuzz: the NMEA reader never throws and never takes a fix from a bad line', () => {
  it('130k mutated real sentences: no exception, no position from any line whose checksum fails', () => {
    const r = mulberry32(20261127);
    const pool = seeds();
    expect(pool.length).toBeGreaterThan(500);
    const dec = new NmeaDecoder(FIRST_ROLLOVER);
    const fixes: Fix[] = [];
    const emit = (f: Fix): void => void fixes.push(f);
    let bad = 0;
    let epochs = 0;
    const day = 86_400_000;
    for (let i = 0; bad < 130_000 && i < 400_000; i++) {
      const m = mutate(pool[Math.floor(r() * pool.length)]!, r);
      if (containsValidFrame(m)) continue; // the mutation produced a genuinely valid frame: not a bad line
      bad++;
      // A valid ZDA opens an epoch with a date and no position; only the bad line could add one.
      const t = (bad * 1000) % day;
      const hh = Math.floor(t / 3_600_000), mm = Math.floor(t / 60_000) % 60, ss = Math.floor(t / 1000) % 60;
      const tod = `${String(hh).padStart(2, '0')}${String(mm).padStart(2, '0')}${String(ss).padStart(2, '0')}.00`;
      dec.push(Buffer.from(`${nmeaLine(`GPZDA,${tod},27,11,2026,00,00`)}${m}\r\n`, 'latin1'), emit);
      epochs++;
    }
    dec.end(emit);
    expect(bad).toBe(130_000);
    expect(dec.stats.frames).toBe(epochs); // only the ZDAs got through
    expect(fixes.length).toBe(epochs);
    expect(fixes.filter((f) => f.lat !== null || f.lon !== null || f.mode !== 1)).toEqual([]);
    expect(dec.stats.faults).toBe(0);
  });

  it('100k random lines with correct checksums and random fields, plus raw random bytes: no exception', () => {
    const r = mulberry32(42);
    const dec = new NmeaDecoder(FIRST_ROLLOVER);
    let fixes = 0;
    const emit = (f: Fix): void => {
      fixes++;
      expect(Number.isFinite(f.timeMs)).toBe(true);
      if (f.lat !== null) expect(Math.abs(f.lat)).toBeLessThanOrEqual(90);
      if (f.lon !== null) expect(Math.abs(f.lon)).toBeLessThanOrEqual(180);
    };
    for (let i = 0; i < 100_000; i++) {
      if (i % 10 === 0) {
        const junk = Buffer.alloc(Math.floor(r() * 300));
        for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(r() * 256);
        dec.push(junk, emit);
      } else {
        dec.push(Buffer.from(nmeaLine(randomFields(r)), 'latin1'), emit);
      }
    }
    dec.end(emit);
    const s = dec.stats;
    expect(s.frames).toBeGreaterThan(80_000);
    expect(s.decoded + s.malformed + s.unknown + s.proprietary).toBe(s.frames);
    expect(s.malformed).toBeGreaterThan(10_000);
    expect(s.faults).toBe(0); // every reject was a FieldError, not a decoder bug caught by the safety net
    void fixes;
  });
});
