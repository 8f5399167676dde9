import { describe, expect, it } from 'vitest';
import { NmeaDecoder } from '../../src/gnss/decoder.js';
import { FIRST_ROLLOVER, GPS_ROLLOVER_MS, RELEASE_DATE } from '../../src/gnss/date.js';
import { coord } from '../../src/gnss/sentences/fields.js';
import { nmeaLine } from '../../src/gnss/lexer.js';
import type { Fix } from '../../src/gnss/fix.js';

function decode(lines: string[], notBefore = FIRST_ROLLOVER): { fixes: Fix[]; dec: NmeaDecoder } {
  const dec = new NmeaDecoder(notBefore);
  const fixes: Fix[] = [];
  const emit = (f: Fix): void => void fixes.push(f);
  dec.push(Buffer.from(lines.map(nmeaLine).join(''), 'latin1'), emit);
  dec.end(emit);
  return { fixes, dec };
}

const gga = (t: string, q = 1, lat = '4807.0380', lon = '01131.0000') => `GPGGA,${t},${lat},N,${lon},E,${q},08,0.9,545.4,M,46.9,M,,`;
const rmc = (t: string, d: string, st = 'A') => `GPRMC,${t},${st},4807.0380,N,01131.0000,E,022.4,084.4,${d},003.1,W,A`;

describe('coordinate conversion', () => {
  it('converts ddmm.mmmm exactly to 1e-7 degrees (no float drift)', () => {
    // 6.62964' / 60 = 0.110494 exactly; 37.61382' / 60 = 0.626897 exactly
    expect(coord('3806.62964', 'N', true)).toEqual({ deg: 38.110494, deg7: 381104940 });
    expect(coord('12237.61382', 'W', false)).toEqual({ deg: -122.626897, deg7: -1226268970 });
  });

  it('rounds half away from zero in integer arithmetic', () => {
    // 0.0003' = 0.000005 deg = 50 * 1e-7 exactly; 0.00003' = 5e-7 deg; 0.000003' = 0.5e-7 -> 1
    expect(coord('0000.0003', 'N', true)!.deg7).toBe(50);
    expect(coord('0000.000003', 'S', true)!.deg7).toBe(-1);
    expect(coord('0000.0000029', 'N', true)!.deg7).toBe(0);
  });

  it('keeps every digit the receiver gave in the double', () => {
    const c = coord('5114.617879', 'N', true)!;
    expect(c.deg).toBe((51 * 60 * 1e6 + 14617879) / (60 * 1e6));
    expect(c.deg7).toBe(512436313);
  });

  it('matches an exact rational for many random inputs', () => {
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const d = seed % 90;
      const mInt = seed % 6_000_000; // mm.mmmmm scaled by 1e5
      const text = `${String(d).padStart(2, '0')}${String(Math.floor(mInt / 1e5)).padStart(2, '0')}.${String(mInt % 1e5).padStart(5, '0')}`;
      const exact = (BigInt(d) * 10n ** 7n * 60n * 100000n + BigInt(mInt) * 10n ** 7n) * 2n + 60n * 100000n;
      const want = Number(exact / (2n * 60n * 100000n));
      expect(coord(text, 'N', true)!.deg7).toBe(want);
    }
  });

  it('rejects minutes >= 60, degrees out of range and a missing hemisphere', () => {
    for (const [t, h, lat] of [['8960.000000', 'N', true], ['9100.0000', 'N', true], ['18100.0000', 'E', false], ['4807.038', '', true], ['48x7.038', 'N', true]] as const) {
      expect(() => coord(t, h, lat), `${t},${h}`).toThrow();
    }
  });
});

describe('sentence decoding', () => {
  it('merges GGA and RMC of one epoch into one fix with the RMC date', () => {
    const { fixes } = decode([gga('123519'), rmc('123519', '230320'), 'GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1']);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ timeMs: Date.UTC(2020, 2, 23, 12, 35, 19), lat7: 481173000, lon7: 115166667, alt: 545.4, speed: 11.524, course: 84.4, mode: 3, quality: 1, sats: 8, hdop: 0.9 });
  });

  it('decodes every table sentence from any talker', () => {
    const { dec, fixes } = decode([
      'GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V',
      'GNVTG,,T,,M,0.040,N,0.075,K,D',
      'GNGGA,223745.00,3806.62964,N,12237.61382,W,2,12,0.54,83.1,M,-29.5,M,,0000',
      'GNGSA,A,3,29,20,18,16,51,13,44,26,,,,,0.99,0.54,0.83,1',
      'GLGSV,3,3,10,83,52,346,29,84,05,307,,1',
      'GAGLL,3806.62964,N,12237.61382,W,223745.00,A,D',
      'GBGNS,223745.00,3806.62964,N,12237.61382,W,DDNN,12,0.54,83.1,-29.5,,,V',
      'GQZDA,223745.00,11,07,2020,00,00',
      'BDGSA,A,3,,,,,,,,,,,,,0.99,0.54,0.83,4',
      'GIVTG,10.0,T,,M,0.040,N,0.075,K,A',
    ]);
    expect(dec.stats.decoded).toBe(10);
    expect(dec.stats.malformed + dec.stats.unknown).toBe(0);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatchObject({ lat: 38.110494, lon: -122.626897, speed: 0.021, mode: 3, quality: 2, sats: 12, hdop: 0.54 });
  });

  it('counts proprietary and unknown sentences and skips them without error', () => {
    const { dec, fixes } = decode(['PGRME,2.3,M,3.3,M,4.0,M', 'PMTK010,001', 'GPRMB,A,,,,,,,,,,,,A,A', 'GPTXT,01,01,02,ANTSTATUS=OK', gga('000001'), rmc('000001', '010120')]);
    expect(dec.stats.proprietary).toBe(2);
    expect(dec.stats.unknown).toBe(2);
    expect(fixes).toHaveLength(1);
  });

  it('counts a sentence with a good checksum but malformed fields, and takes nothing from it', () => {
    const { dec, fixes } = decode([
      'GPGSV,3,3,12,2,40,16,00,090,', // gpsd's "malformed sentence with good checksum"
      'GPGGA,1235x9,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,',
      'GPGGA,123519,4807.038,N,01131.000,X,1,08,0.9,545.4,M,46.9,M,,',
      'GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,310294,003.1,W', // 31 Feb
      'GPRMC,123519,Q,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W',
      'GPGSA,A,7,,,,,,,,,,,,,2.5,1.3,2.1',
      'GPGGA,123519,4807.038,N',
    ]);
    expect(dec.stats.malformed).toBe(7);
    expect(fixes).toEqual([]);
  });
});

describe('epoch assembly', () => {
  it('void RMC means no position even when the sentence carries one', () => {
    const { fixes } = decode([rmc('120000', '010120', 'V')]);
    expect(fixes).toMatchObject([{ mode: 1, lat: null, lon: null, lat7: null }]);
  });

  it('GGA quality 0 means no position', () => {
    const { fixes } = decode([rmc('120000', '010120'), gga('120000', 0)]);
    expect(fixes).toMatchObject([{ mode: 1, lat: null, quality: 0 }]);
  });

  it('GSA fix type 1 means no position', () => {
    const { fixes } = decode([rmc('120000', '010120'), gga('120000'), 'GPGSA,A,1,,,,,,,,,,,,,,,']);
    expect(fixes).toMatchObject([{ mode: 1, lat: null }]);
  });

  it('takes mode 2 from GSA and 3D when GGA has altitude without GSA', () => {
    expect(decode([rmc('120000', '010120'), gga('120000'), 'GPGSA,A,2,04,05,09,,,,,,,,,,2.5,1.3,2.1']).fixes[0]!.mode).toBe(2);
    expect(decode([rmc('120000', '010120'), gga('120000')]).fixes[0]!.mode).toBe(3);
    expect(decode([rmc('120000', '010120')]).fixes[0]!.mode).toBe(2);
  });

  it('rolls the date over at midnight for GGA-only epochs', () => {
    const { fixes } = decode([rmc('235958', '311220'), gga('235958'), gga('235959'), gga('000000'), gga('000001')]);
    expect(fixes.map((f) => new Date(f.timeMs).toISOString())).toEqual([
      '2020-12-31T23:59:58.000Z',
      '2020-12-31T23:59:59.000Z',
      '2021-01-01T00:00:00.000Z',
      '2021-01-01T00:00:01.000Z',
    ]);
  });

  it('emits no fix before any date is known (epochs counted as undated)', () => {
    const { fixes, dec } = decode([gga('120000'), gga('120001'), rmc('120002', '010120')]);
    expect(fixes).toHaveLength(1);
    expect(dec.stats.undated).toBe(2);
  });

  it('treats 1980 power-up dates as no date at all', () => {
    const { fixes, dec } = decode([rmc('235946.005', '050180'), gga('235946.005'), rmc('081433.591', '120180')]);
    expect(fixes).toEqual([]);
    expect(dec.stats.undated).toBe(2);
  });

  it('corrects a GPS week rollover date by 1024 weeks against the pivot', () => {
    // A receiver past its rollover window reports 1999-08-22 for 2019-04-07.
    const { fixes } = decode([rmc('120000', '220899')], Date.UTC(2019, 0, 1));
    expect(new Date(fixes[0]!.timeMs).toISOString()).toBe('2019-04-07T12:00:00.000Z');
    expect(fixes[0]!.timeMs - Date.UTC(1999, 7, 22, 12)).toBe(GPS_ROLLOVER_MS);
    // The release pivot moves a 2007 date forward twice (2007 + 2 * 19.6 years = 2046).
    const old = decode([rmc('120000', '010107')], RELEASE_DATE).fixes[0]!;
    expect(new Date(old.timeMs).getUTCFullYear()).toBe(2046);
    // Historical decoding keeps the date as it is.
    expect(new Date(decode([rmc('120000', '010107')]).fixes[0]!.timeMs).toISOString()).toBe('2007-01-01T12:00:00.000Z');
  });

  it('drops sentences with an empty time together with the time-less cycle', () => {
    const { fixes, dec } = decode(['GPGGA,,,,,,0,,,,M,,M,,', 'GPGSA,A,1,,,,,,,,,,,,,,,', 'GPRMC,,V,,,,,,,,,,N', gga('105153.71'), rmc('105153.71', '120319')]);
    expect(dec.stats.timeless).toBe(2);
    expect(fixes).toMatchObject([{ mode: 3, quality: 1 }]);
  });

  it('keeps milliseconds of fractional times', () => {
    const { fixes } = decode([rmc('000345.03', '070419'), gga('000345.03'), rmc('105153.408', '070419')]);
    expect(fixes.map((f) => new Date(f.timeMs).toISOString().slice(11))).toEqual(['00:03:45.030Z', '10:51:53.408Z']);
  });

  it('closes an epoch on flush (idle line) and ignores its late sentences', () => {
    const dec = new NmeaDecoder(FIRST_ROLLOVER);
    const fixes: Fix[] = [];
    const emit = (f: Fix): void => void fixes.push(f);
    dec.push(Buffer.from(nmeaLine(rmc('120000', '010120'))), emit);
    expect(fixes).toHaveLength(0);
    dec.flush(emit);
    expect(fixes).toHaveLength(1);
    dec.push(Buffer.from(nmeaLine(gga('120000'))), emit);
    dec.flush(emit);
    expect(fixes).toHaveLength(1);
    expect(dec.stats.late).toBe(1);
  });
});

describe('sentence versions', () => {
  it('NMEA 1.5 GLL (no time, no status) adds no position; an old VTG gives speed in km/h', () => {
    const { fixes, dec } = decode([rmc('120000', '010120', 'V'), 'GPGLL,4807.038,N,01131.000,E', 'GPVTG,054.7,034.4,005.5,010.8']);
    expect(dec.stats.decoded).toBe(3);
    expect(fixes).toMatchObject([{ mode: 1, lat: null }]);
    const v = decode([rmc('120000', '010120'), 'GPVTG,054.7,034.4,005.5,010.8']).fixes[0]!;
    expect(v.speed).toBe(11.524); // RMC's 22.4 kn wins; VTG only fills what RMC left empty
  });

  it('GGA with an empty quality field gives no position', () => {
    const { fixes } = decode([rmc('120000', '010120'), 'GPGGA,120000,4807.038,N,01131.000,E,,08,0.9,545.4,M,46.9,M,,']);
    expect(fixes).toMatchObject([{ mode: 1, lat: null }]);
  });
});
