import { describe, expect, it } from 'vitest';
import { decode as cborxDecode } from 'cbor-x';
import { cborx as cborxEncode } from '../support/codec-cborx.js';
import { CodecError, defineSchema, decodeRecordWith, encodeRecordWith, encodeBatchWith, decodeBatchWith, type FieldSpec } from '../../src/codec/index.js';

function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('expected a CodecError');
}

const EVERY = defineSchema('Every', 3, {
  name: { tag: 1, type: 'string', maxLength: 16, required: true },
  on: { tag: 2, type: 'bool' },
  i8: { tag: 3, type: 'int8' },
  u8: { tag: 4, type: 'uint8' },
  i16: { tag: 5, type: 'int16' },
  u16: { tag: 6, type: 'uint16' },
  i32: { tag: 7, type: 'int32' },
  u32: { tag: 8, type: 'uint32' },
  i64: { tag: 9, type: 'int64' },
  u64: { tag: 10, type: 'uint64' },
  f32: { tag: 11, type: 'float32' },
  f64: { tag: 12, type: 'float64' },
  temp: { tag: 13, type: 'fixed', base: 'int16', scale: 10 },
  gear: { tag: 14, type: 'enum', values: ['park', 'reverse', 'neutral', 'drive'] },
  list: { tag: 15, type: 'array', items: { type: 'uint16' }, maxItems: 4, nullableItems: true },
  names: { tag: 300, type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
});

const FULL = {
  name: 'truck-7', on: true, i8: -128, u8: 255, i16: -32768, u16: 65535, i32: -2147483648, u32: 4294967295,
  i64: -Number.MAX_SAFE_INTEGER, u64: Number.MAX_SAFE_INTEGER, f32: Math.fround(3.14159), f64: Math.PI,
  temp: -12.3, gear: 'drive', list: [1, null, 65535], names: ['a', 'bé'],
};

describe('defineSchema validates when defined', () => {
  const cases: [string, Record<string, FieldSpec>, RegExp][] = [
    ['duplicate tags', { a: { tag: 1, type: 'bool' }, b: { tag: 1, type: 'bool' } }, /b: .*tag 1 is also used by a/],
    ['tag 0 (reserved)', { a: { tag: 0, type: 'bool' } }, /a: .*0 is reserved/],
    ['a fractional tag', { a: { tag: 1.5, type: 'bool' } }, /a: .*tag must be an integer/],
    ['an unknown type', { a: { tag: 1, type: 'double' as 'float64' } }, /a: .*unknown type "double"/],
    ['fixed without scale', { a: { tag: 1, type: 'fixed', base: 'int32' } }, /a: .*positive finite scale/],
    ['fixed without base', { a: { tag: 1, type: 'fixed', scale: 10 } }, /a: .*base/],
    ['an empty enum', { a: { tag: 1, type: 'enum', values: [] } }, /a: .*non-empty/],
    ['repeated enum values', { a: { tag: 1, type: 'enum', values: ['x', 'x'] } }, /a: .*unique/],
    ['min beyond the type', { a: { tag: 1, type: 'uint8', min: -1 } }, /a: .*within uint8/],
    ['arrays of arrays', { a: { tag: 1, type: 'array', items: { type: 'array' } as never, maxItems: 2 } }, /a: .*arrays of arrays/],
    ['an array without maxItems', { a: { tag: 1, type: 'array', items: { type: 'bool' } } as never }, /a: .*maxItems/],
    ['a bad field name', { 'a-b': { tag: 1, type: 'bool' } }, /a-b: .*identifiers/],
  ];
  it.each(cases)('rejects %s', (_what, fields, re) => {
    expect(codecError(() => defineSchema('S', 1, fields)).message).toMatch(re);
  });

  it('rejects a bad version and an empty schema', () => {
    expect(codecError(() => defineSchema('S', 0, { a: { tag: 1, type: 'bool' } })).message).toMatch(/version/);
    expect(codecError(() => defineSchema('S', 1, {})).message).toMatch(/no fields/);
  });
});

describe('records of every field type', () => {
  it('round-trip at the schema resolution (fixed rounds to its scale, float32 to single precision)', () => {
    const back = decodeRecordWith(EVERY, encodeRecordWith(EVERY, { ...FULL, temp: -12.34, f32: 3.14159 }));
    expect(back).toEqual({ ...FULL, temp: -12.3 });
  });

  it('are standard CBOR maps keyed by tag that cbor-x reads, with floats at their declared width', () => {
    const b = encodeRecordWith(EVERY, FULL);
    const m = cborxDecode(b) as Record<string, unknown>;
    expect(m[1]).toBe('truck-7');
    expect(m[13]).toBe(-123);
    expect(m[14]).toBe(3);
    expect(m[300]).toEqual(['a', 'bé']);
    const hex = Buffer.from(b).toString('hex');
    expect(hex).toContain(`0bfa${Buffer.from(new Float32Array([FULL.f32]).buffer).reverse().toString('hex')}`);
    expect(hex).toContain('0cfb400921fb54442d18');
  });

  it('skip unknown tags written by a newer writer (cbor-x, any key order)', () => {
    const newer = cborxEncode(new Map<number, unknown>([[99, 'future'], [1, 'x'], [4, 7], [23, [1, 2]]]));
    expect(decodeRecordWith(EVERY, newer)).toEqual({ name: 'x', u8: 7 });
  });

  it('name the field when a required one is missing', () => {
    const e = codecError(() => decodeRecordWith(EVERY, cborxEncode(new Map([[4, 7]]))));
    expect(e.field).toBe('name');
    expect(e.message).toMatch(/name: required field is missing/);
    expect(codecError(() => encodeRecordWith(EVERY, { on: true })).field).toBe('name');
  });

  it.each([
    ['u8', 256, /u8: expected an integer \(uint8\) in 0..255, got 256/],
    ['i8', 1.5, /i8: expected an integer/],
    ['on', 1, /on: expected true or false/],
    ['name', 'x'.repeat(17), /name: string longer than 16 bytes/],
    ['gear', 'fly', /gear: expected one of park, reverse, neutral, drive/],
    ['temp', 4000, /temp: 4000 is outside -3276.8..3276.7/],
    ['list', [1, 2, 3, 4, 5], /list: array of 5 items exceeds maxItems 4/],
    ['names', ['a', null], /names\[1\]: null item/],
    ['f64', '1', /f64: expected a number/],
  ])('name the field when encoding a bad %s', (field, value, re) => {
    expect(codecError(() => encodeRecordWith(EVERY, { ...FULL, [field]: value })).message).toMatch(re);
  });

  it.each([
    [4, -1, 'u8'],
    [2, 'yes', 'on'],
    [14, 9, 'gear'],
    [1, 5, 'name'],
    [15, 'x', 'list'],
    [10, 2n ** 60n, 'u64'],
  ] as [number, unknown, string][])('name the field when decoding a wrong value under tag %s', (tag, value, field) => {
    const b = cborxEncode(new Map<number, unknown>([[1, 'x'], [tag, value]]));
    expect(codecError(() => decodeRecordWith(EVERY, b)).field).toBe(field);
  });

  it('batches of every type are lossless too', () => {
    const objs = Array.from({ length: 25 }, (_, i) => ({
      ...FULL,
      i32: FULL.i32 + i * 1000,
      u64: FULL.u64 - i,
      i64: i % 3 ? FULL.i64 + i : undefined,
      temp: i % 5 === 0 ? undefined : (i * 10 - 123) / 10,
      gear: i < 10 ? 'park' : 'drive',
      names: i % 2 ? ['a'] : ['b', 'c'],
      f64: i / 7,
    }));
    const back = decodeBatchWith(EVERY, encodeBatchWith(EVERY, objs));
    expect(back).toEqual(objs.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))));
  });
});
