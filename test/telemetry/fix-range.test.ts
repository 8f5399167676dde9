// Values real receivers send outside the textbook ranges are carried, never refused.
import { describe, expect, it } from 'vitest';
import { encodeRecord, decodeRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { fixFromJson } from '../../src/telemetry/fix-json.js';

const line = (over: Record<string, unknown>) => ({
  time: '2005-06-01T01:06:18.000Z', lat: 39.5, lon: -119.8, alt: 1400, speed: 10, course: 90, mode: 3, quality: 1, sats: 7, hdop: 1.2, ...over,
});

describe('fix ranges against what receivers send', () => {
  it.each([
    [{ hdop: 176 }, { hdopC: 17_600 }],
    [{ hdop: 999.99 }, { hdopC: 65_535 }],
    [{ sats: 300 }, { sats: 255 }],
    [{ course: -10 }, { courseCdeg: 35_000 }],
    [{ course: 370 }, { courseCdeg: 1_000 }],
    [{ speed: -0.5 }, { speedCms: 0 }],
    [{ alt: -1500 }, { altDm: -15_000 }],
    [{ alt: 250_000 }, { altDm: 2_500_000 }],
  ])('%j is taken and encodes as %j', (over, want) => {
    const r = recordFromFix(fixFromJson(line(over), 'line 1'), 1);
    expect(r).toMatchObject(want);
    expect(decodeRecord(encodeRecord(r))).toMatchObject(want);
  });

  it('still names the key of a value that is not a number', () => {
    expect(() => fixFromJson(line({ hdop: 'x' }), 'line 3')).toThrow(/line 3: key 'hdop'/);
  });
});
