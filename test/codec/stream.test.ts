import { describe, expect, it } from 'vitest';
import { CodecError, encodeBatch, encodeGap, encodeRecord, encodeStreamHeader } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { MessageSplitter } from '../../src/codec/stream.js';
import { nmeaFixes } from '../support/codec-drive.js';
import { hex } from '../support/codec-cborx.js';

const rs = nmeaFixes('tizen_duesseldorf_2009_1hz.nmea').slice(0, 130).map((f, i) => recordFromFix(f, i + 1));
const messages = [encodeStreamHeader(), ...rs.slice(0, 5).map(encodeRecord), encodeBatch(rs.slice(5, 65)), encodeGap({ fromSeq: 66, toSeq: 70, fromTimeMs: 1, toTimeMs: 2, lost: 5 }), encodeBatch(rs.slice(70))];
const stream = Buffer.concat(messages);

describe('MessageSplitter (CBOR sequence framing)', () => {
  it.each([1, 2, 7, 64, 100_000])('gives back every message whole when bytes arrive %i at a time', (size) => {
    const s = new MessageSplitter();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += size) {
      const { messages: ms, error } = s.push(stream.subarray(i, i + size));
      expect(error).toBeUndefined();
      got.push(...ms.map(hex));
    }
    s.end();
    expect(got).toEqual(messages.map(hex));
  });

  it('a stream cut inside a message is reported at end() with its offset', () => {
    const s = new MessageSplitter();
    expect(s.push(stream.subarray(0, messages[0]!.length + 3)).messages).toHaveLength(1);
    expect(() => s.end()).toThrow(new RegExp(`stream ends inside a message at offset ${messages[0]!.length} \\(3 bytes\\)`));
  });

  it('a malformed message returns the good ones before it and the error with its offset', () => {
    const s = new MessageSplitter();
    const { messages: ms, error } = s.push(Buffer.concat([messages[0]!, Buffer.from('d81c00', 'hex')]));
    expect(ms).toHaveLength(1);
    expect(error).toBeInstanceOf(CodecError);
    expect(error!.message).toMatch(new RegExp(`bad message at stream offset ${messages[0]!.length}: CBOR tag 28`));
  });

  it('a message declaring more than 1 MiB is refused once that much is buffered, not buffered forever', () => {
    const s = new MessageSplitter();
    expect(s.push(Buffer.from('a1115a00200000', 'hex')).error).toBeUndefined(); // a 2 MiB byte string is announced
    let error: CodecError | undefined;
    for (let i = 0; i < 20 && !error; i++) error = s.push(new Uint8Array(64 * 1024)).error;
    expect(error?.message).toMatch(/message at stream offset 0 is larger than 1048576 bytes/);
  });
});
