import { describe, expect, it } from 'vitest';
import type { GapRow, Position, TrackItem } from '../../src/server/store/query.js';
import { CSV_COLUMNS } from '../../src/server/formats/csv.js';
import { featureOf, featureText } from '../../src/server/formats/geojson.js';
import { FeatureTextCache } from '../../src/server/formats/geojson-text.js';
import { columnsFormat } from '../../src/server/formats/columns.js';
import { iso } from '../../src/server/formats/chunks.js';
import { decimalText } from '../../src/server/formats/decimal.js';
import { formatTrack, TRACK_FORMATS, type TrackFormat } from '../../src/server/formats/index.js';
import { ColumnsStream, decodeColumns, positionAt, type ColumnsDocument } from '../../src/server/formats/columns-decode.js';

const T0 = Date.UTC(2026, 4, 1, 8, 0, 0);

function pos(seq: number, o: Partial<Position> = {}): TrackItem {
  return {
    kind: 'position', device: 'truck-1', spool: 'aaaaaaaa', seq, timeMs: T0 + seq * 1000, receivedMs: T0 + seq * 1000 + 40,
    lat: 52.5200066 + seq * 1e-7, lon: 13.4049540, altM: 34.5, speedMps: 12.34, courseDeg: 271.5, mode: 3, sats: 9, hdop: 0.9,
    ignition: true, batteryV: 13.8, rpm: 1500, coolantC: 88.5, oilKpa: 310, fuelPct: 55.5, tyresKpa: [820, null, 815, 818], cabinC: 21.3, humidityPct: 45.2, faults: 0,
    fuelRateLh: 18.45, wheelSpeedMps: 12.3, fuelUsedL: 123456.7, odometerKm: 854934.012, engineH: 12500.05, dtcs: ['SPN 91 FMI 3', 'P0301'], vin: null,
    ...o,
  };
}
function gap(seq: number, o: Partial<GapRow> = {}): TrackItem {
  return { kind: 'gap', device: 'truck-1', spool: 'aaaaaaaa', seq, fromSeq: seq - 3, toSeq: seq - 1, fromMs: T0 + (seq - 3) * 1000, toMs: T0 + (seq - 1) * 1000, lost: 3, reason: 'ring', receivedMs: T0 + seq * 1000, ...o };
}
/** `items` as track pages of three (a document spans page boundaries). */
async function* from(items: TrackItem[]): AsyncGenerator<TrackItem[]> {
  for (let i = 0; i < items.length; i += 3) yield items.slice(i, i + 3);
}
async function text(format: TrackFormat, items: TrackItem[], chunkSize?: number): Promise<{ doc: string; chunks: number }> {
  let doc = '';
  let chunks = 0;
  for await (const c of formatTrack(format, from(items), { device: 'truck-1' }, chunkSize)) {
    doc += c;
    chunks++;
  }
  return { doc, chunks };
}

/** RFC 4180 rows (quoted fields with doubled quotes, CRLF). */
function parseCsv(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  const endField = () => {
    row.push(f);
    f = '';
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (q) {
      if (ch === '"' && s[i + 1] === '"') {
        f += '"';
        i++;
      } else if (ch === '"') q = false;
      else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && s[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else f += ch;
  }
  if (f || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

const CAN_ABSENT = { fuelRateLh: null, wheelSpeedMps: null, fuelUsedL: null, odometerKm: null, engineH: null, dtcs: null };
const TRACK: TrackItem[] = [pos(1, { vin: '1FUJGLDR0CSBM1234' }), pos(2, { lat: null, lon: null, altM: null, mode: 1, tyresKpa: null, ignition: null, ...CAN_ABSENT }), gap(6), pos(7, { altM: null, dtcs: [] }), pos(8)];

describe('track formats', () => {
  it('GeoJSON: a FeatureCollection with every column as properties, null geometry for no fix and for gaps', async () => {
    const { doc } = await text('geojson', TRACK);
    const fc = JSON.parse(doc);
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(5);
    const [a, nofix, g, noAlt] = fc.features;
    expect(a.geometry).toEqual({ type: 'Point', coordinates: [13.404954, 52.5200067, 34.5] });
    expect(a.properties).toMatchObject({ kind: 'position', seq: 1, time: '2026-05-01T08:00:01.000Z', speedMps: 12.34, tyresKpa: [820, null, 815, 818], ignition: true });
    expect(a.properties).toMatchObject({ fuelRateLh: 18.45, wheelSpeedMps: 12.3, fuelUsedL: 123456.7, odometerKm: 854934.012, engineH: 12500.05, dtcs: ['SPN 91 FMI 3', 'P0301'], vin: '1FUJGLDR0CSBM1234' });
    expect(Object.keys(a.properties)).toHaveLength(31);
    expect(nofix.geometry).toBeNull();
    expect(nofix.properties).toMatchObject({ ignition: null, ...CAN_ABSENT, vin: null });
    expect(noAlt.properties.dtcs).toEqual([]);
    expect(g).toEqual({ type: 'Feature', geometry: null, properties: { kind: 'gap', device: 'truck-1', spool: 'aaaaaaaa', seq: 6, fromSeq: 3, toSeq: 5, fromTime: '2026-05-01T08:00:03.000Z', toTime: '2026-05-01T08:00:05.000Z', lost: 3, reason: 'ring', received: '2026-05-01T08:00:06.000Z' } });
    expect(noAlt.geometry.coordinates).toHaveLength(2);
  });

  it('columns: every property of every feature comes back exactly as GeoJSON gives it, across blocks, with nulls, runs and gaps', async () => {
    const items: TrackItem[] = [];
    for (let i = 1; i <= 1000; i++) {
      if (i % 300 === 0) items.push(gap(i));
      items.push(pos(i, {
        ...(i % 7 === 0 ? { lat: null, lon: null, altM: null, mode: 1 } : {}),
        ...(i % 50 === 0 ? { rpm: null, tyresKpa: null, ignition: null } : {}),
        lat: (525_200_066 + i * 91) / 1e7, speedMps: (i % 40) * 0.37, courseDeg: (i * 7.25) % 360, coolantC: 80 + (i % 13) * 0.1, spool: i > 600 ? 'bbbbbbbb' : 'aaaaaaaa',
        odometerKm: (854_934_012 + i * 23) / 1000, engineH: (45_000_180 + i) / 3600, fuelUsedL: (1_234_567 + (i >> 2)) / 10, fuelRateLh: (18_450 + (i % 9) * 50) / 1000,
        ...(i % 100 === 0 ? { dtcs: ['SPN 91 FMI 3'] } : {}),
      }));
    }
    items.push(pos(1001, { hdop: 0.123456789 })); // no integer at hdop's scale: its block writes runs
    const enc = columnsFormat(128).encoder({ device: 'truck-1' });
    const doc = enc.head() + items.map((x) => enc.item(x)).join('') + enc.tail();
    const parsed = JSON.parse(doc) as ColumnsDocument;
    expect(parsed.blocks.length).toBe(Math.ceil(items.length / 128));
    expect(parsed.blocks[0]!.columns.lat).toHaveProperty('d', 1e7);
    for (const [k, d] of [['odometerKm', 1000], ['engineH', 3600], ['fuelUsedL', 10], ['fuelRateLh', 1000]] as const) expect(parsed.blocks[0]!.columns[k]).toHaveProperty('d', d);
    expect(parsed.blocks[0]!.columns.dtcs).toHaveProperty('r');
    expect(parsed.blocks[0]!.columns.spool).toEqual({ r: [['aaaaaaaa', 128]] });
    expect(parsed.blocks.at(-1)!.columns.hdop).toHaveProperty('r');
    const back = decodeColumns(parsed);
    const positions = Array.from({ length: back.n }, (_, i) => positionAt(back, i));
    const geo = JSON.parse((await text('geojson', items)).doc) as { features: { properties: Record<string, unknown> }[] };
    const props = geo.features.map((f) => f.properties);
    expect(positions).toEqual(props.filter((p) => p.kind === 'position'));
    expect(back.gaps).toEqual(props.filter((p) => p.kind === 'gap'));
    // key order too (the console lists a record's fields in it)
    expect(Object.keys(positions[0]!)).toEqual(Object.keys(props[0]!));
    expect(() => decodeColumns({ type: 'FeatureCollection' } as unknown as ColumnsDocument)).toThrow(/not a geostream-columns/);
  });

  it('columns as a stream: the text pushed in any pieces gives what decodeColumns gives; a cut or garbled document is an error that says where', () => {
    const items: TrackItem[] = [];
    for (let i = 1; i <= 700; i++) {
      if (i % 250 === 0) items.push(gap(i));
      items.push(pos(i, i % 9 === 0 ? { rpm: null, tyresKpa: null } : { speedMps: (i % 30) * 0.5 }));
    }
    const enc = columnsFormat(100).encoder({ device: 'truck-1' });
    const doc = enc.head() + items.map((x) => enc.item(x)).join('') + enc.tail();
    const want = decodeColumns(JSON.parse(doc) as ColumnsDocument);
    expect(want.n).toBe(700);
    const streamed = (pieces: string[]) => {
      const s = new ColumnsStream();
      for (const p of pieces) s.push(p);
      return s.end();
    };
    let x = 4242;
    const cuts = (size: () => number) => {
      const out: string[] = [];
      for (let i = 0; i < doc.length; ) out.push(doc.slice(i, (i += size())));
      return out;
    };
    expect(streamed([doc])).toEqual(want);
    expect(streamed(cuts(() => 1)).columns.seq).toEqual(want.columns.seq);
    for (let r = 0; r < 5; r++) expect(streamed(cuts(() => 1 + ((x = (x * 1103515245 + 12345) % 2 ** 31) % 5000)))).toEqual(want);
    // each line of the document at a piece's end: a block is taken the moment its line is whole
    expect(streamed(doc.split(/(?<=\n)/))).toEqual(want);
    // an empty track
    const none = columnsFormat().encoder({ device: 'x' });
    expect(streamed([none.head(), none.tail()])).toEqual({ vehicle: 'x', n: 0, columns: {}, gaps: [] });
    // cut after the second block's line, and cut inside a block: errors, not a shorter track
    const lines = doc.split('\n');
    expect(() => streamed([lines.slice(0, 3).join('\n') + '\n'])).toThrow(/ends after 2 block\(s\), before its closing line/);
    const blocks = lines.length - 3; // the head, the blocks, "]}" and the empty text after the last newline
    expect(blocks).toBe(8);
    expect(() => streamed([doc.slice(0, doc.length - 200)])).toThrow(new RegExp(`block ${blocks} is not JSON`));
    expect(() => streamed(['{"type":"FeatureCollection","features":[\n'])).toThrow(/not a geostream-columns/);
    expect(() => streamed([`${lines[0]}\n{"n":3}\n]}\n`])).toThrow(/block 1 is not a block/);
    expect(() => streamed([`${doc}{}\n`])).toThrow(/text after the closing line/);
  });

  it('iso() writes what Date#toISOString does, across day boundaries and the whole uint32 range', () => {
    const edge = [0, 1, 999, 1000, 86_399_999, 86_400_000, T0, T0 + 12_345, 2 ** 32 * 1000 - 1];
    let x = 12345;
    const random = Array.from({ length: 20_000 }, () => (x = (x * 1103515245 + 12345) % 2 ** 31) * 2000);
    for (const ms of [...edge, ...random, ...random.map((r) => r + 1)]) expect(iso(ms)).toBe(new Date(ms).toISOString());
  });

  it('decimalText() writes what String() does, for scaled values, values off the scale, and numbers JavaScript writes with an exponent', () => {
    const edge = [0, -0, 1e-6, -1e-6, 1e-7, 5e-7, 0.1 + 0.2, 9.9999999, 99_999_999.99, -0.5, 40.3, 51.2345678, 1e15, 1e15 / 1e7, 2 ** 53, 1e21, 1.5e300, 5e-324, NaN, Infinity, -Infinity];
    let x = 987654;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const d = i % 10;
      const m = Math.round((next() - 0.5) * 2 * 10 ** Math.floor(next() * 17));
      edge.push(m / 10 ** d, m, next() * 10 ** (i % 12), (m / 10 ** d) * (1 + Number.EPSILON));
    }
    const wrong: string[] = [];
    for (const v of edge) for (let d = 0; d <= 9; d++) if (decimalText(v, d) !== String(v)) wrong.push(`${String(v)} at ${d}: ${decimalText(v, d)}`);
    expect(wrong).toEqual([]);
  });

  it('GeoJSON feature text is byte for byte what JSON.stringify makes of the feature object', () => {
    const odd = pos(9, { device: 'tr"uck\\', lat: -0.0000001, lon: -179.9999999, speedMps: 0, tyresKpa: [], ignition: false, faults: 4294967295, dtcs: ['a"b\\c\u0001'], vin: '</script>"' });
    for (const item of [...TRACK, odd]) expect(featureText(item)).toBe(JSON.stringify(featureOf(item)));
    // one cache through a document: values repeat, change, go null and come back
    const cache = new FeatureTextCache();
    for (const item of [...TRACK, odd, odd, ...TRACK, pos(10), pos(10, { batteryV: null }), pos(11)]) expect(featureText(item, cache)).toBe(JSON.stringify(featureOf(item)));
  });

  it('CSV: a header row, every row as many fields as the header, quoted text, gaps as rows of kind gap', async () => {
    const { doc } = await text('csv', [...TRACK, gap(9, { reason: 'a,"b"\nc' }), pos(10, { device: '=cmd()' })]);
    const rows = parseCsv(doc);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
    const col = (r: string[], name: string) => r[CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number])];
    expect(col(rows[1]!, 'lat')).toBe('52.5200067');
    expect(col(rows[1]!, 'tyres_kpa')).toBe('820;;815;818');
    expect([col(rows[1]!, 'fuel_rate_lh'), col(rows[1]!, 'wheel_speed_mps'), col(rows[1]!, 'fuel_used_l'), col(rows[1]!, 'odometer_km'), col(rows[1]!, 'engine_h')]).toEqual(['18.45', '12.3', '123456.7', '854934.012', '12500.05']);
    expect([col(rows[1]!, 'dtcs'), col(rows[1]!, 'vin')]).toEqual(['SPN 91 FMI 3;P0301', '1FUJGLDR0CSBM1234']);
    expect(col(rows[2]!, 'lat')).toBe('');
    expect([col(rows[2]!, 'fuel_rate_lh'), col(rows[2]!, 'dtcs'), col(rows[2]!, 'vin')]).toEqual(['', '', '']);
    expect(col(rows[3]!, 'kind')).toBe('gap');
    expect(col(rows[3]!, 'fuel_rate_lh')).toBe('');
    expect(col(rows[3]!, 'gap_from_seq')).toBe('3');
    expect(col(rows[3]!, 'lost')).toBe('3');
    expect(col(rows[6]!, 'reason')).toBe('a,"b"\nc');
    expect(col(rows[7]!, 'device')).toBe("'=cmd()");
  });

  it('GPX 1.1: one track, a new segment after each gap, no trkpt without a position, children in schema order', async () => {
    const { doc } = await text('gpx', TRACK);
    expect(doc).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<gpx version="1.1" creator="geostream" xmlns="http:\/\/www.topografix.com\/GPX\/1\/1"/);
    expect(doc.match(/<trkseg>/g)).toHaveLength(2);
    expect(doc.match(/<\/trkseg>/g)).toHaveLength(2);
    expect(doc.match(/<trkpt /g)).toHaveLength(3);
    expect(doc).toContain('<trkpt lat="52.5200067" lon="13.404954"><ele>34.5</ele><time>2026-05-01T08:00:01.000Z</time><fix>3d</fix><sat>9</sat><hdop>0.9</hdop><extensions><gs:speed>12.34</gs:speed><gs:course>271.5</gs:course><gs:ignition>true</gs:ignition></extensions></trkpt>');
    // well formed: every open tag closed in order
    const stack: string[] = [];
    for (const m of doc.matchAll(/<(\/?)([a-z:]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).toEqual([]);
  });

  it('GPX escapes the vehicle name; a track that starts with a gap or has no fix has no empty segment', async () => {
    let doc = '';
    for await (const c of formatTrack('gpx', from([gap(4), pos(5, { lat: null, lon: null })]), { device: 'a<b&"c' })) doc += c;
    expect(doc).toContain('<name>a&#60;b&#38;&#34;c</name>');
    expect(doc).not.toContain('trkseg');
  });

  it.each(TRACK_FORMATS)('%s of 20,000 records comes in chunks of about the chunk size, whole and in order', async (f) => {
    const many = Array.from({ length: 20_000 }, (_, i) => pos(i + 1));
    const { doc, chunks } = await text(f, many, 64 * 1024);
    // columns: one block of 4096 records at a time (each block is a chunk, whatever its size)
    if (f === 'columns') expect(chunks).toBe(Math.ceil(many.length / 4096));
    else expect(chunks).toBeGreaterThan(doc.length / (80 * 1024));
    expect(chunks).toBeLessThan(doc.length / (60 * 1024) + 2);
    if (f === 'columns') expect(decodeColumns(JSON.parse(doc) as ColumnsDocument).columns.seq).toEqual(many.map((p) => p.seq));
    else expect(doc.indexOf('08:00:01.000Z')).toBeLessThan(doc.indexOf('13:33:20.000Z'));
  });

  it.each(TRACK_FORMATS)('%s of no records is a valid empty document', async (f) => {
    const { doc } = await text(f, []);
    if (f === 'geojson') expect(JSON.parse(doc)).toEqual({ type: 'FeatureCollection', features: [] });
    if (f === 'csv') expect(parseCsv(doc)).toEqual([[...CSV_COLUMNS]]);
    if (f === 'columns') expect(JSON.parse(doc)).toEqual({ type: 'geostream-columns', version: 1, vehicle: 'truck-1', blocks: [] });
    if (f === 'gpx') expect(doc).toMatch(/<trk><name>truck-1<\/name>\n<\/trk>\n<\/gpx>\n$/);
  });
});
