import { describe, expect, it } from 'vitest';
import { MAX_FRAME, NmeaLexer, nmeaLine } from '../../src/gnss/lexer.js';

const GGA = 'GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,';
const RMC = 'GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W';

function lex(...chunks: (string | Uint8Array)[]): { frames: string[]; lexer: NmeaLexer } {
  const lexer = new NmeaLexer();
  const frames: string[] = [];
  for (const c of chunks) lexer.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c, (b) => frames.push(b));
  return { frames, lexer };
}

describe('NMEA lexer', () => {
  it('passes a sentence with a correct checksum and CR LF', () => {
    const { frames, lexer } = lex(nmeaLine(GGA));
    expect(frames).toEqual([GGA]);
    expect(lexer.stats.frames).toBe(1);
  });

  it('accepts LF only, CR only, and lower-case checksum hex', () => {
    const line = nmeaLine(GGA).trimEnd();
    const lower = line.slice(0, -2) + line.slice(-2).toLowerCase();
    const { frames } = lex(`${line}\n${line}\r${lower}\r\n`);
    expect(frames).toEqual([GGA, GGA, GGA]);
  });

  it('rejects a wrong checksum and counts it', () => {
    const line = nmeaLine(GGA).replace(/\*(..)/, (_m, h: string) => `*${h === '00' ? '01' : '00'}`);
    const { frames, lexer } = lex(line);
    expect(frames).toEqual([]);
    expect(lexer.stats.badChecksum).toBe(1);
  });

  it('rejects a line without checksum and counts it as missing', () => {
    const { frames, lexer } = lex(`$${GGA}\r\n`);
    expect(frames).toEqual([]);
    expect(lexer.stats.noChecksum).toBe(1);
  });

  it('rejects a malformed checksum field (one digit, non-hex, trailing text)', () => {
    const good = nmeaLine(GGA).trimEnd();
    const { frames, lexer } = lex(`${good.slice(0, -1)}\r\n`, `${good.slice(0, -2)}ZZ\r\n`, `${good}0,*4E\r\n`);
    expect(frames).toEqual([]);
    expect(lexer.stats.badChecksum).toBe(3);
  });

  it('survives a sentence split into single bytes', () => {
    const bytes = Buffer.from(nmeaLine(GGA) + nmeaLine(RMC), 'latin1');
    const { frames } = lex(...Array.from(bytes, (b) => Uint8Array.of(b)));
    expect(frames).toEqual([GGA, RMC]);
  });

  it('drops a sentence truncated by NUL bytes and recovers at the next $', () => {
    const { frames, lexer } = lex(`$GPRMC,000346.03,A,4808\0\0\0\0\0\0       \r\n`, nmeaLine(GGA));
    expect(frames).toEqual([GGA]);
    expect(lexer.stats.truncated).toBe(1);
  });

  it('drops a sentence cut off by the next $ and keeps the next one', () => {
    const { frames, lexer } = lex(`$GPGSV,3,2,11,25,32,097${nmeaLine(GGA)}`);
    expect(frames).toEqual([GGA]);
    expect(lexer.stats.truncated).toBe(1);
  });

  it('splits two complete sentences concatenated without a line end', () => {
    const a = nmeaLine(GGA).trimEnd();
    const { frames } = lex(a + nmeaLine(RMC));
    expect(frames).toEqual([GGA, RMC]);
  });

  it('skips an over-long line with a bounded buffer and keeps the next sentence', () => {
    const long = `$GPTXT,${'X'.repeat(MAX_FRAME * 50)}*00\r\n`;
    const { frames, lexer } = lex(long, nmeaLine(GGA));
    expect(frames).toEqual([GGA]);
    expect(lexer.stats.overlong).toBe(1);
  });

  it('skips binary UBX frames between sentences, even ones containing $ and CR', () => {
    const ubx = Uint8Array.from([0xb5, 0x62, 0x01, 0x07, 0x5c, 0x00, 0x24, 0x0d, 0xff, 0x00, 0x24, 0x47, 0x50, 0x80, 0x0a, 0x13, 0x37]);
    const { frames, lexer } = lex(nmeaLine(GGA), ubx, nmeaLine(RMC));
    expect(frames).toEqual([GGA, RMC]);
    expect(lexer.stats.garbageBytes).toBeGreaterThan(0);
  });

  it('counts a frame left open at the end of input as truncated', () => {
    const { lexer } = lex('$GPGGA,1235');
    lexer.end();
    expect(lexer.stats.truncated).toBe(1);
  });
});
