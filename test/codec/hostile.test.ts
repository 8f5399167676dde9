import { describe, expect, it } from 'vitest';
import { CodecError, MAX_MESSAGE_BYTES, decodeBatch, decodeMessage, encodeBatch, encodeGap, encodeRecord, encodeStreamHeader, type Message, type TelemetryRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { allDrives, withSyntheticSensors } from '../support/codec-drive.js';
import { cborx } from '../support/codec-cborx.js';
import { Decoder } from 'cbor-x';
import { decodeCbor } from '../../src/codec/cbor-reader.js';
import { mulberry32 } from '../../src/base/random.js';

const reference = new Decoder({ mapsAsObjects: true, useRecords: false });

/** Comparable form of a decoded CBOR value, whichever decoder made it. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? `${BigInt(v)}n` : Number.isNaN(v) ? 'NaN' : v;
  if (v instanceof Uint8Array) return `h'${Buffer.from(v).toString('hex')}'`;
  if (Array.isArray(v)) return v.map(normal);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)]));
  return v;
}

function codecError(b: Uint8Array, decode: (b: Uint8Array) => unknown = decodeMessage): CodecError {
  try {
    decode(b);
  } catch (err) {
    if (!(err instanceof CodecError)) throw new Error(`not a CodecError: ${String(err)} for ${Buffer.from(b).toString('hex').slice(0, 200)}`, { cause: err });
    return err;
  }
  throw new Error(`decoded without error: ${Buffer.from(b).toString('hex').slice(0, 200)}`);
}
const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const recs: TelemetryRecord[] = allDrives()
  .flatMap(([, fixes]) => fixes.slice(0, 300))
  .map((f, i) => (i % 3 ? recordFromFix(f, 5000 + i) : withSyntheticSensors(recordFromFix(f, 5000 + i), i)));

describe('hostile CBOR is refused before anything is allocated', () => {
  // Items go in as the value of tag 17 (`a1 11 ...`), so the record reader meets them where a value is due.
  it.each([
    ['an array declaring 2^40 items', '9b 000000ffffffffff 00', /truncated: a array of 1099511627775 at offset 2 runs past/],
    ['an array declaring 100 million items', '9a 05f5e100 00', /a array of 100000000 at offset 2 runs past the end/],
    ['a map declaring 2^32-1 pairs', 'ba ffffffff 00', /runs past the end/],
    ['a byte string declaring 2^40 bytes', '5b 000000ffffffffff', /runs past the end/],
    ['a text string declaring 2 GB', '7a 7fffffff 61', /runs past the end/],
    ['a length beyond 2^53', '9b ffffffffffffffff 00', /runs past the end/],
    ['a shared-reference tag', 'd81c 81 00', /CBOR tag 28 .* not allowed/],
    ['a record-extension tag', 'd9dfff 81 00', /CBOR tag 57343 .* not allowed/],
    ['a bignum tag', 'c2 49 010000000000000000', /CBOR tag 2 /],
    ['an indefinite-length array', '9f 00 ff', /indefinite-length/],
    ['an indefinite-length map', 'bf 01 00 ff', /indefinite-length/],
    ['a break byte alone', 'ff', /indefinite-length/],
    ['undefined', 'f7', /simple value 23/],
    ['simple value 16', 'f0', /simple value 16/],
    ['reserved additional info 28', '1c', /reserved additional information 28/],
    ['nesting 20 deep', `${'81'.repeat(20)}00`, /nesting deeper than 8/],
    ['text that is not UTF-8', '62 c328', /not valid UTF-8/],
  ])('%s', (_what, bytes, re) => {
    expect(codecError(h(`a1 11 ${bytes}`)).message).toMatch(re);
  });

  it.each([
    ['a map key that is a map', 'a1 a100 00 00', /map key at offset 1 is not an unsigned integer/],
    ['a negative map key', 'a1 20 00', /map key/],
    ['a text map key', 'a1 6161 00', /map key/],
    ['a key twice', 'a2 01 00 01 00', /map key 1 appears twice/],
    ['a large key twice', 'a2 19ffff 00 19ffff 00', /map key 65535 appears twice/],
    ['a key beyond 65535', 'a1 1a00010000 00', /map key/],
    ['bytes after the item', 'a1 01 00 00', /1 bytes after the end/],
    ['nothing at all', '', /empty message/],
    ['a top-level array', '80', /must be a CBOR map/],
    ['a map declaring 2^32-1 pairs', 'ba ffffffff 00', /runs past the end/],
    ['a record whose seq is 2^64-1', 'a3 01 1bffffffffffffffff 02 1a5f0a3f39 09 03', /seq: expected an integer \(uint64\)/],
  ])('%s', (_what, bytes, re) => {
    expect(codecError(h(bytes)).message).toMatch(re);
  });

  it('a message over the size limit is refused without being parsed', () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
    big[0] = 0xa0;
    expect(codecError(big).message).toMatch(/exceeds the 1048576-byte limit/);
  });

  it('every truncation of a record, a batch and a gap is a CodecError marked incomplete', () => {
    for (const b of [encodeRecord(withSyntheticSensors(recs[1]!, 1)), encodeBatch(recs.slice(0, 60)), encodeGap({ fromSeq: 1, toSeq: 2, fromTimeMs: 3, toTimeMs: 4, lost: 2 })]) {
      for (let n = 0; n < b.length; n++) expect(codecError(b.subarray(0, n)).incomplete).toBe(true);
    }
  });
});

/** A batch map with one hand-made column for field tag 13 (rpm) beside the required ones. */
function batchWith(n: number, rpm: unknown, extra: [number, unknown][] = []): Uint8Array {
  const seqs = [2, 1, [1], 1, 0, new Uint8Array(0)];
  const cols = new Map<number, unknown>([[1, seqs], [2, [1, [1594507065, n]]], [9, [1, [3, n]]], [13, rpm], ...extra]);
  return cborx(new Map<number, unknown>([[0, 1], [1, 1], [2, n], [3, cols]]));
}

describe('hostile batch columns are refused, naming the field', () => {
  it('the hand-made batch decodes when the rpm column is fine', () => {
    expect(decodeBatch(batchWith(3, [1, [2000, 3]])).map((r) => r.rpm)).toEqual([2000, 2000, 2000]);
    expect(decodeBatch(batchWith(3, [2, 1, [2000], 1, 2, h('09')])).map((r) => r.rpm)).toEqual([2000, 1999, 2000]);
  });

  it.each([
    ['a run longer than the batch', [1, [2000, 4]], /rpm: RLE run 4 is not 1..3/],
    ['a run of zero', [1, [2000, 0, 2000, 3]], /rpm: RLE run 0/],
    ['runs that fall short', [1, [2000, 2]], /rpm: RLE runs cover 2 of 3/],
    ['an odd RLE list', [1, [2000]], /value\/run pairs/],
    ['a RAW column of the wrong length', [0, [1, 2]], /RAW column has 2 values for 3/],
    ['an unknown method', [9, []], /unknown column method 9/],
    ['a column that is not an array', 5, /rpm: column must be an array/],
    ['delta order 3', [2, 3, [1, 1, 1], 1, 0, h('')], /delta order 3/],
    ['a short delta base', [2, 2, [1], 1, 0, h('')], /delta base must hold 2/],
    ['bit width 54', [2, 1, [1], 1, 54, h('00'.repeat(14))], /bit width 54 is not 0..53/],
    ['packed bits of the wrong length', [2, 1, [1], 1, 8, h('0102ff')], /3 bytes of packed bits, expected 2/],
    ['nonzero padding bits', [2, 1, [1], 1, 3, h('ff')], /nonzero padding/],
    ['an overlong varint', [3, 1, [1], 1, h('8000 01')], /overlong varint/],
    ['a varint past 8 bytes', [3, 1, [1], 1, h('ffffffffffffffffff01')], /varint longer than 8 bytes/],
    ['varints that run out', [3, 1, [1], 1, h('01')], /varint data ends after 1 of 2/],
    ['bytes after the varints', [3, 1, [1], 1, h('010101')], /1 bytes after the last varint/],
    ['a presence bitmap of the wrong size', [3, 1, [1], 1, h('0101'), h('0700')], /presence bitmap of 2 bytes for 3/],
    ['presence bits past the last record', [3, 1, [1], 1, h('01'), h('0b')], /bits set past the last record/],
    ['a delta leaving the safe integers', [3, 1, [Number.MAX_SAFE_INTEGER], 1, h('0202')], /safe integer range/],
    ['a delta leaving uint16', [3, 1, [65535], 1, h('0202')], /rpm: expected an integer \(uint16\)/],
    ['a delta base that is text', [3, 1, ['x'], 1, h('0202')], /delta base must be an integer/],
    ['a step of 0', [3, 1, [1], 0, h('0000')], /delta step 0 is not >= 1/],
    ['a step that overflows the residual', [3, 1, [0], 2 ** 52, h('0404')], /safe integer range/],
    ['a Rice parameter of 54', [4, 1, [1], 1, 54, h('00')], /Rice parameter 54 is not 0..53/],
    ['Rice codes that run out (unary ones to the end)', [4, 1, [1], 1, 0, h('ff')], /packed bits end before the last value/],
    ['bytes after the Rice codes', [4, 1, [1], 1, 0, h('0000')], /data after the packed values/],
    ['a Rice delta column with a missing element', [4, 1, [1], 1, h('00')], /delta column of 5 elements/],
  ])('%s', (_what, rpm, re) => {
    expect(codecError(batchWith(3, rpm), decodeBatch).message).toMatch(re);
  });

  it('delta coding on a boolean field, a missing required column, a bad count', () => {
    expect(codecError(batchWith(3, [1, [1, 3]], [[20, [3, 1, [1], 1, h('0000')]]]), decodeBatch).message).toMatch(/ignition: delta coding on a field that is not an integer/);
    const noMode = cborx(new Map<number, unknown>([[0, 1], [1, 1], [2, 1], [3, new Map([[1, [0, [1]]], [2, [0, [5]]]])]]));
    expect(codecError(noMode, decodeBatch).message).toMatch(/mode: required field has no column/);
    for (const n of [0, 10_001, -1, 1.5]) {
      expect(codecError(cborx(new Map<number, unknown>([[0, 1], [1, 1], [2, n], [3, new Map()]])), decodeBatch).field).toBe('batch.count');
    }
  });

  it('an ITEMS column of tyre pressures decodes to one array per record', () => {
    const b = batchWith(3, [1, [2000, 3]], [[17, [5, 2, [3, 1, [820, 830], 1, h('01020102')]]]]);
    expect(decodeBatch(b).map((r) => r.tyresKpa)).toEqual([[820, 830], [819, 831], [818, 832]]);
  });

  it.each([
    ['ITEMS on a field that is not an array', 13, [5, 1, [2, 1, [1], 1, 0, h('')]], /rpm: ITEMS coding on a field that is not an array of integers/],
    ['ITEMS of 0 items', 17, [5, 0, [2, 1, [], 1, 0, h('')]], /tyresKpa: ITEMS length 0 is not 1..16/],
    ['ITEMS longer than maxItems', 17, [5, 17, [2, 1, new Array(17).fill(1), 1, 0, h('')]], /ITEMS length 17 is not 1..16/],
    ['ITEMS without its inner column', 17, [5, 2], /ITEMS column must be \[5, L, \[delta column\]\]/],
    ['ITEMS over runs', 17, [5, 2, [1, [820, 3]]], /ITEMS inner method 1 is not a delta coding/],
    ['ITEMS of order 2', 17, [5, 2, [2, 2, [1, 1], 1, 0, h('')]], /delta order 2 is not 1/],
    ['ITEMS with a presence bitmap', 17, [5, 2, [2, 1, [1, 1], 1, 0, h(''), h('07')]], /delta column of 7 elements/],
    ['an ITEMS base of the wrong length', 17, [5, 2, [2, 1, [1], 1, 0, h('')]], /delta base must hold 2 values/],
    ['ITEMS leaving uint16', 17, [5, 2, [3, 1, [65535, 1], 1, h('02020202')]], /tyresKpa\[0\]: expected an integer \(uint16\)/],
  ])('%s', (_what, tag, col, re) => {
    expect(codecError(batchWith(3, [1, [2000, 3]], [[tag as number, col]]), decodeBatch).message).toMatch(re);
  });

  it('the largest legal batch (10,000 records from a few bytes of runs) stays bounded', () => {
    const b = batchWith(10_000, [1, [2000, 10_000]]);
    expect(b.length).toBeLessThan(64);
    expect(decodeBatch(b)).toHaveLength(10_000);
  });
});

/** Deterministic PRNG so a failing mutation can be replayed. */
const prng = mulberry32;

const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x5b, 0x7b, 0x80, 0x9b, 0x9f, 0xa0, 0xbb, 0xbf, 0xc2, 0xd8, 0xf4, 0xf6, 0xf7, 0xfa, 0xfb, 0xff];

function mutate(src: Uint8Array, others: Uint8Array[], rnd: () => number): Uint8Array {
  const b = Array.from(src);
  const at = () => Math.floor(rnd() * Math.max(1, b.length));
  const steps = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < steps; s++) {
    switch (Math.floor(rnd() * 8)) {
      case 0: { const i = at(); b[i] = (b[i] ?? 0) ^ (1 << Math.floor(rnd() * 8)); break; }
      case 1: b[at()] = Math.floor(rnd() * 256); break;
      case 2: b[at()] = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!; break;
      case 3: b.splice(at(), 0, Math.floor(rnd() * 256)); break;
      case 4: b.splice(at(), 1 + Math.floor(rnd() * 4)); break;
      case 5: b.length = at(); break;
      case 6: { const i = at(); b.splice(i, 0, ...b.slice(i, i + 1 + Math.floor(rnd() * 8))); break; }
      default: { const o = others[Math.floor(rnd() * others.length)]!; const i = Math.floor(rnd() * o.length); b.splice(at(), 0, ...o.subarray(i, i + 1 + Math.floor(rnd() * 12))); }
    }
  }
  return Uint8Array.from(b);
}

function reencode(m: Message): Uint8Array {
  switch (m.kind) {
    case 'record': return encodeRecord(m.record);
    case 'batch': return encodeBatch(m.records);
    case 'gap': return encodeGap(m.gap);
    default: return encodeStreamHeader(m.header);
  }
}

describe('fuzz', () => {
  it('100,000 mutations of valid encodings: each decodes to a valid message or throws CodecError, nothing else; cbor-x reads whatever we accept the same way', () => {
    const seeds: Uint8Array[] = [
      ...recs.slice(0, 200).map(encodeRecord),
      ...[1, 2, 5, 17, 60, 61].map((n, i) => encodeBatch(recs.slice(i * 70, i * 70 + n))),
      encodeBatch(recs.slice(0, 60).map((r, i) => withSyntheticSensors(r, i))),
      encodeGap({ fromSeq: 5, toSeq: 9, fromTimeMs: 1594507065000, toTimeMs: 1594507070000, lost: 5 }),
      encodeStreamHeader(),
    ];
    const seed = Number(process.env.CODEC_FUZZ_SEED ?? 20261127);
    const rnd = prng(seed);
    const counts = { ok: 0, codecError: 0, profileOk: 0 };
    for (let i = 0; i < 100_000; i++) {
      const src = seeds[Math.floor(rnd() * seeds.length)]!;
      const b = mutate(src, seeds, rnd);
      let m: Message;
      try {
        m = decodeMessage(b);
      } catch (err) {
        if (!(err instanceof CodecError)) {
          throw new Error(`seed ${seed} mutation ${i}: ${String(err)} for ${Buffer.from(b).toString('hex')}`, { cause: err });
        }
        counts.codecError++;
        // Valid CBOR in the profile that is not a valid message: cbor-x must agree on the values too.
        let generic: unknown;
        try {
          generic = decodeCbor(b);
        } catch {
          continue;
        }
        counts.profileOk++;
        expect(normal(reference.decode(b)), `seed ${seed} mutation ${i}`).toEqual(normal(generic));
        continue;
      }
      counts.ok++;
      // Differential check: cbor-x, an independent decoder, reads the same values.
      expect(normal(reference.decode(b)), `seed ${seed} mutation ${i}`).toEqual(normal(decodeCbor(b)));
      // Whatever is accepted is a valid message: it re-encodes and decodes to the same thing.
      expect(decodeMessage(reencode(m)), `seed ${seed} mutation ${i}`).toEqual(m);
    }
    expect(counts.codecError).toBeGreaterThan(50_000);
    expect(counts.ok).toBeGreaterThan(1000);
    expect(counts.profileOk).toBeGreaterThan(1000);
  });
});

