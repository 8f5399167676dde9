import { describe, expect, it } from 'vitest';
import { fixFromJson, fixToJson, type Fix } from '../../src/gnss/fix.js';

const fix: Fix = { timeMs: Date.UTC(2020, 6, 11, 22, 37, 45), lat: 38.110494, lon: -122.626897, lat7: 381104940, lon7: -1226268970, alt: 83.1, speed: 0.021, course: null, mode: 3, quality: 2, sats: 12, hdop: 0.54 };

describe('Fix JSON', () => {
  it('round-trips through the exact key order of geostream nmea, restoring the 1e-7 integers', () => {
    const line = JSON.stringify(fixToJson(fix));
    expect(line).toBe('{"time":"2020-07-11T22:37:45.000Z","lat":38.110494,"lon":-122.626897,"alt":83.1,"speed":0.021,"course":null,"mode":3,"quality":2,"sats":12,"hdop":0.54}');
    expect(fixFromJson(JSON.parse(line), 'x')).toEqual(fix);
  });

  it('derives lat7 from the printed decimal without float multiply drift', () => {
    // 4.35 * 1e7 = 43499999.99999999 in binary floating point
    const f = fixFromJson({ ...fixToJson(fix), lat: 4.35, lon: -1.0000001 }, 'x');
    expect(f.lat7).toBe(43500000);
    expect(f.lon7).toBe(-10000001);
  });

  it('rejects bad lines with an error naming the key', () => {
    const base = fixToJson(fix);
    const cases: [unknown, RegExp][] = [
      [{ ...base, time: '2020-07-11T22:37:45Z' }, /key 'time': expected ISO-8601 UTC with milliseconds/],
      [{ ...base, lat: 91 }, /key 'lat': 91 is out of range/],
      [{ ...base, lon: null }, /key 'lon': lat and lon must both be null/],
      [{ ...base, mode: 4 }, /key 'mode': expected 1, 2 or 3/],
      [{ ...base, mode: 1 }, /key 'lat': a mode 1 \(no fix\) line cannot have a position/],
      [{ ...base, extra: 1 }, /key 'extra': unknown key/],
      [(({ hdop: _h, ...rest }) => rest)(base), /key 'hdop': is missing/],
      [{ ...base, sats: 1.5 }, /key 'sats': expected an integer/],
      [[1], /line: expected a JSON object/],
    ];
    for (const [o, re] of cases) expect(() => fixFromJson(o, 'fixes.jsonl:3')).toThrow(re);
    expect(() => fixFromJson({ ...base, lat: 'x' }, 'fixes.jsonl:3')).toThrow(/^fixes\.jsonl:3: key 'lat'/);
  });
});
