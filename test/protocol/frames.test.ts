import { describe, expect, it } from 'vitest';
import { FrameType, type Frame } from '../../src/protocol/messages.js';
import { FrameReader } from '../../src/protocol/reader.js';
import { decodePayload, encodeFrame } from '../../src/protocol/wire.js';
import { CloseCode, ProtocolError } from '../../src/protocol/close-codes.js';
import { arr, bytes, f64, frame, head, int, map, text, uint } from '../support/cbor-hand.js';

/** Frame payloads as other CBOR libraries write them, and what our encoder writes. */
const T = 1460384357000; // a millisecond time: needs the 8-byte head (0x1b)
const payload = (f: Uint8Array) => [...f.subarray(5)];
const decode = (type: number, p: number[]) => decodePayload(type, Uint8Array.from(p));
const refusal = (type: number, p: number[]) => {
  try {
    decode(type, p);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return { code: (err as ProtocolError).code, reason: (err as Error).message };
  }
  throw new Error('accepted');
};

describe('integers on the wire are CBOR integers', () => {
  it('a BATCH whose timeMs has an 8-byte integer head (0x1b) is accepted', () => {
    const f = decode(FrameType.BATCH, arr(arr(uint(1), uint(T), bytes([1, 2, 3]))));
    expect(f).toEqual({ type: 'BATCH', entries: [{ seq: 1, timeMs: T, payload: Uint8Array.of(1, 2, 3) }] });
    expect(uint(T)[0]).toBe(0x1b);
  });

  it('every head length of the same integer decodes to the same value (non-shortest heads too)', () => {
    for (const w of [1, 2, 3, 5, 9] as const) {
      const f = decode(FrameType.BATCH, arr(arr(head(0, 7, w), uint(T, 9), bytes([9]))));
      expect(f).toMatchObject({ entries: [{ seq: 7, timeMs: T }] });
    }
    expect(decode(FrameType.PING, uint(5, 9))).toEqual({ type: 'PING', t: 5 });
    expect(decode(FrameType.ACK, arr(arr(uint(1, 5), uint(2 ** 32 + 3, 9))))).toEqual({ type: 'ACK', ranges: [[1, 2 ** 32 + 3]] });
  });

  it('negative times (before 1970) use major type 1 at any width', () => {
    const g = map(['seq', uint(9)], ['from', uint(3)], ['to', uint(8)], ['fromT', int(-T)], ['toT', int(-5, 9)], ['lost', uint(6)]);
    expect(decode(FrameType.GAP, g)).toMatchObject({ fromTimeMs: -T, toTimeMs: -5 });
  });

  it('our encoder writes timeMs, WELCOME time, GAP times and seqs >= 2^32 as integers, never floats', () => {
    const big = 2 ** 32 + 1;
    const frames: [Frame, number[]][] = [
      [{ type: 'BATCH', entries: [{ seq: big, timeMs: T, payload: Uint8Array.of(1) }] }, arr(arr(uint(big), uint(T), bytes([1])))],
      [
        { type: 'WELCOME', time: T, spool: 'abcdef0123456789', high: big, stored: [[big, big + 2]], config: { batchRecords: 256, batchBytes: 65536, windowRecords: 4096, formats: [1] } },
        map(['time', uint(T)], ['spool', text('abcdef0123456789')], ['high', uint(big)], ['stored', arr(arr(uint(big), uint(big + 2)))], ['config', map(['batchRecords', uint(256)], ['batchBytes', uint(65536)], ['windowRecords', uint(4096)], ['formats', arr(uint(1))])]),
      ],
      [{ type: 'GAP', seq: big, fromSeq: 1, toSeq: big - 1, fromTimeMs: -T, toTimeMs: T, lost: big - 1 }, map(['seq', uint(big)], ['from', uint(1)], ['to', uint(big - 1)], ['fromT', int(-T)], ['toT', uint(T)], ['lost', uint(big - 1)])],
      [{ type: 'ACK', ranges: [[1, big]] }, arr(arr(uint(1), uint(big)))],
      [{ type: 'PING', t: T }, uint(T)],
      [{ type: 'HELLO', version: 1, device: 'truck-1', firmware: 'x', schema: 1, spool: 'abcdef0123456789', head: big, acked: big - 1 }, map(['v', uint(1)], ['device', text('truck-1')], ['fw', text('x')], ['schema', uint(1)], ['spool', text('abcdef0123456789')], ['head', uint(big)], ['acked', uint(big - 1)])],
    ];
    for (const [f, expected] of frames) {
      const wire = encodeFrame(f);
      expect(payload(wire), f.type).toEqual(expected);
      expect(decodePayload(wire[0]!, wire.subarray(5))).toEqual(f);
    }
  });

  it('a float with an integral value is read as that integer (devices before this rule wrote float64)', () => {
    expect(decode(FrameType.BATCH, arr(arr(uint(1), f64(T), bytes([1]))))).toMatchObject({ entries: [{ timeMs: T }] });
    expect(refusal(FrameType.BATCH, arr(arr(uint(1), f64(T + 0.5), bytes([1]))))).toEqual({ code: CloseCode.protocol, reason: 'BATCH: entry 0: timeMs must be an integer' });
  });

  it('integers of 2^53 or more are refused naming the field and the limit', () => {
    expect(refusal(FrameType.BATCH, arr(arr(uint(2n ** 53n), uint(T), bytes([1])))).reason).toBe('BATCH: entry 0: seq is 9007199254740992, above the limit 9007199254740991');
    expect(refusal(FrameType.BATCH, arr(arr(uint(1), uint(2n ** 64n - 1n), bytes([1])))).reason).toMatch(/^BATCH: entry 0: timeMs is 18446744073709551615, above the limit/);
    expect(refusal(FrameType.ACK, arr(arr(uint(1), uint(2n ** 60n)))).reason).toMatch(/^ACK: 'ranges\[0\]' is 1152921504606846976, above the limit/);
    const h = map(['v', uint(1)], ['device', text('t')], ['fw', text('x')], ['schema', uint(1)], ['spool', text('abcdef0123456789')], ['head', uint(2n ** 63n)], ['acked', uint(0)]);
    expect(refusal(FrameType.HELLO, h).reason).toMatch(/^HELLO: 'head' is 9223372036854775808, above the limit/);
  });
});

describe('frames are read with the bounded reader', () => {
  const huge = 2n ** 32n;
  it('a BATCH declaring a 2^32-item array is refused at once, before anything is allocated', () => {
    const before = process.memoryUsage().arrayBuffers;
    const r = refusal(FrameType.BATCH, head(4, huge, 9));
    expect(r).toEqual({ code: CloseCode.protocol, reason: 'BATCH: payload is not valid CBOR (truncated: a array of 4294967296 at offset 0 runs past the end of the data)' });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('a record declared as a 4 GiB byte string, and a 2^32-entry map, are refused at once', () => {
    expect(refusal(FrameType.BATCH, arr(arr(uint(1), uint(T), head(2, huge, 9)))).reason).toMatch(/truncated: a byte string of 4294967296 at offset 12 runs past the end/);
    expect(refusal(FrameType.HELLO, head(5, huge, 9)).reason).toMatch(/truncated: a map of 4294967296 at offset 0/);
    expect(refusal(FrameType.HELLO, [...head(5, 1), ...head(3, huge, 9)]).reason).toMatch(/map key at offset 1 is not a text string of at most 64 bytes/);
  });

  it('indefinite-length arrays, maps and chunked strings are accepted (RFC 8949 3.2)', () => {
    const chunked = [0x5f, ...bytes([1, 2]), ...bytes([]), ...bytes([3]), 0xff];
    expect(decode(FrameType.BATCH, [0x9f, 0x9f, ...uint(1), ...uint(T), ...chunked, 0xff, 0xff])).toEqual({ type: 'BATCH', entries: [{ seq: 1, timeMs: T, payload: Uint8Array.of(1, 2, 3) }] });
    const reason = [0x7f, ...text('by'), ...text('é'), 0xff];
    expect(decode(FrameType.CLOSE, [0xbf, ...text('code'), ...uint(5), ...text('reason'), ...reason, 0xff])).toEqual({ type: 'CLOSE', code: 5, reason: 'byé' });
    expect(decode(FrameType.CLOSE, [0xa2, 0x7f, ...text('co'), ...text('de'), 0xff, ...uint(5), ...text('reason'), ...text('')])).toEqual({ type: 'CLOSE', code: 5, reason: '' });
  });

  it('indefinite-length items that never end, bad chunks and stray breaks are refused', () => {
    expect(refusal(FrameType.BATCH, [0x9f, ...arr(uint(1), uint(T), bytes([1]))]).reason).toMatch(/truncated: an indefinite-length item runs past the end/);
    expect(refusal(FrameType.BATCH, [0x9f, ...new Array<number>(300_000).fill(0x80)]).reason).toMatch(/more than 262144 CBOR items/);
    expect(refusal(FrameType.BATCH, arr(arr(uint(1), uint(T), [0x5f, ...text('x'), 0xff]))).reason).toMatch(/chunk at offset \d+ of the indefinite-length string at offset \d+ is not a definite byte string/);
    expect(refusal(FrameType.BATCH, arr(arr(uint(1), uint(T), [0x5f, 0x5f, 0xff, 0xff]))).reason).toMatch(/is not a definite byte string/);
    expect(refusal(FrameType.PING, [0xff]).reason).toMatch(/break \(0xff\) outside an indefinite-length item at offset 0/);
    expect(refusal(FrameType.CLOSE, [0xbf, 0x7f, ...text('k'.repeat(40)), ...text('k'.repeat(40)), 0xff, ...uint(1), 0xff]).reason).toMatch(/not a text string of at most 64 bytes/);
  });

  it('tags, duplicate keys and deep nesting are refused with the reason', () => {
    expect(refusal(FrameType.PING, [0xc1, ...uint(T)]).reason).toMatch(/CBOR tag 1 at offset 0 is not allowed/);
    expect(refusal(FrameType.CLOSE, map(['code', uint(1)], ['code', uint(2)])).reason).toMatch(/map key "code" appears twice/);
    let deep = uint(1);
    for (let i = 0; i < 20; i++) deep = arr(deep);
    expect(refusal(FrameType.ACK, deep).reason).toMatch(/nesting deeper than 8/);
    expect(refusal(FrameType.PING, [...uint(1), 0]).reason).toMatch(/1 bytes after the end of the CBOR item/);
  });

  it('a "__proto__" key is an unknown key like any other', () => {
    const c = map(['__proto__', map(['code', uint(9)])], ['code', uint(1)], ['reason', text('bye')]);
    expect(decode(FrameType.CLOSE, c)).toEqual({ type: 'CLOSE', code: 1, reason: 'bye' });
    expect(({} as Record<string, unknown>).code).toBeUndefined();
  });

  it('unknown keys are ignored, so a later version can add fields', () => {
    expect(decode(FrameType.CLOSE, map(['code', uint(1)], ['x-new', arr(text('a'), bytes([1]))], ['reason', text('r')]))).toEqual({ type: 'CLOSE', code: 1, reason: 'r' });
  });

  it('a FrameReader fed a hand-written BATCH one byte at a time yields the frame', () => {
    const wire = frame(FrameType.BATCH, arr(arr(uint(3, 9), uint(T), bytes([5, 6]))));
    const r = new FrameReader();
    const out: Frame[] = [];
    for (const b of wire) out.push(...r.push(Uint8Array.of(b)));
    expect(out).toEqual([{ type: 'BATCH', entries: [{ seq: 3, timeMs: T, payload: Uint8Array.of(5, 6) }] }]);
  });
});
