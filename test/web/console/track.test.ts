// The vehicle view's track: the fields of a second read merged into the first by record
// (spool, seq), whatever the two reads hold beyond each other.
import { describe, expect, it } from 'vitest';
import { Track } from '../../../web/console/track.js';
import type { ColumnTrack } from '../../../src/server/formats/columns-decode.js';

const keyed = (recs: [string, number][], cols: Record<string, unknown[]>): ColumnTrack => ({
  vehicle: 'truck-1',
  n: recs.length,
  columns: { spool: recs.map((r) => r[0]), seq: recs.map((r) => r[1]), timeMs: recs.map((r) => r[1] * 1000), receivedMs: recs.map((r) => r[1] * 1000 + 5), ...cols },
  gaps: [],
});

describe('Track.addColumns', () => {
  it("adds a second read's fields to the same records, in a record's own order, and leaves records it lacks null", () => {
    // the first read: three records, one without a position (not a track point)
    const tr = Track.fromColumns(keyed([['a', 1], ['a', 2], ['b', 1]], { lat: [52, null, 52.2], lon: [13, null, 13.2], speedMps: [1, 2, 3] }));
    expect(tr.length).toBe(2);
    // the second: a record the first lacks (stored between the reads), the others in another order
    tr.addColumns(keyed([['b', 1], ['a', 9], ['a', 1]], { altM: [34, 99, 31], hdop: [0.9, 0.8, 0.7], vin: [null, 'X', 'VIN1'] }));
    expect(tr.length).toBe(2);
    expect(tr.col('altM')).toEqual([31, 34]);
    expect(tr.col('hdop')).toEqual([0.7, 0.9]);
    const r = tr.at(1);
    expect(Object.keys(r)).toEqual(['kind', 'device', 'spool', 'seq', 'time', 'received', 'lat', 'lon', 'altM', 'speedMps', 'hdop', 'vin']);
    expect(r).toMatchObject({ spool: 'b', seq: 1, lat: 52.2, altM: 34, hdop: 0.9, vin: null });
  });

  it('a live record pushed before the second read keeps its own values, and the others get theirs', () => {
    const tr = Track.fromColumns(keyed([['a', 1]], { lat: [52], lon: [13], speedMps: [1] }));
    tr.push({ kind: 'position', device: 'truck-1', spool: 'a', seq: 2, time: new Date(2000).toISOString(), received: new Date(2005).toISOString(), lat: 52.1, lon: 13.1, speedMps: 2, altM: 40 } as unknown as Parameters<Track['push']>[0]);
    tr.addColumns(keyed([['a', 1]], { altM: [31] }));
    expect(tr.col('altM')).toEqual([31, 40]);
  });
});
