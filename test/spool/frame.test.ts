import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, MAX_PAYLOAD } from '../../src/spool/constants.js';
import { crc32c, maskCrc, unmaskCrc } from '../../src/spool/crc32c.js';
import { ByteSink, FrameEncoder, decodeBlock, type Kind } from '../../src/spool/frame.js';
import { decodeGap, encodeGap } from '../../src/spool/gap.js';

interface R {
  kind: Kind;
  seq: number;
  timeMs: number;
  payload: Uint8Array;
}

function encodeAll(recs: R[], start = 0): Uint8Array {
  const sink = new ByteSink(1024);
  sink.zeros(start);
  const enc = new FrameEncoder(start, null);
  for (const r of recs) enc.encode(r.kind, r.seq, r.timeMs, r.payload, sink);
  return sink.bytes().slice();
}

function decodeAll(buf: Uint8Array, start = 0): { recs: R[]; bad: number } {
  const recs: R[] = [];
  let bad = 0;
  for (let b = 0; b * BLOCK_BYTES < buf.length; b++) {
    const s = Math.max(b * BLOCK_BYTES, start);
    const c = decodeBlock(buf, s, Math.min((b + 1) * BLOCK_BYTES, buf.length), (f) =>
      recs.push({ kind: f.kind, seq: f.seq, timeMs: f.timeMs, payload: buf.slice(f.payloadStart, f.payloadEnd) }),
    );
    if (c) bad++;
  }
  return { recs, bad };
}

let rng = 12345;
function rand(n: number): number {
  rng = (rng * 1103515245 + 12345) & 0x7fffffff;
  return rng % n;
}

function randomRecords(n: number): R[] {
  const out: R[] = [];
  let seq = 1 + rand(1000);
  let t = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    seq += rand(4) === 0 ? 1 + rand(100000) : 1;
    t += rand(5) === 0 ? rand(5000) - 2500 : 1000; // mostly regular, sometimes backwards
    const len = rand(10) === 0 ? rand(MAX_PAYLOAD + 1) : rand(80);
    const payload = new Uint8Array(len);
    for (let k = 0; k < len; k++) payload[k] = rand(256);
    out.push({ kind: rand(20) === 0 ? 'gap' : 'data', seq, timeMs: t, payload });
  }
  return out;
}

describe('crc32c', () => {
  it('matches the published CRC-32C check values (RFC 3720 B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(inc)).toBe(0x46dd794e);
  });
  it('slice-by-8 agrees with the bytewise path at every length and alignment', () => {
    const buf = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let s = 0; s < 9; s++)
      for (let e = s; e < 300; e += 7) {
        let c = crc32c(buf, s, s); // empty
        for (let i = s; i < e; i++) c = crc32c(buf, i, i + 1, c);
        expect(crc32c(buf, s, e)).toBe(c);
      }
  });
  it('masking round-trips', () => {
    for (const v of [0, 1, 0xffffffff, 0xe3069283, 0x12345678]) expect(unmaskCrc(maskCrc(v))).toBe(v);
  });
});

describe('frames', () => {
  it('round-trips random records of every size, kinds, seq jumps and backwards time', () => {
    const recs = randomRecords(1500);
    const buf = encodeAll(recs);
    const { recs: back, bad } = decodeAll(buf);
    expect(bad).toBe(0);
    expect(back).toEqual(recs);
  });

  it('a frame that fills its block exactly makes the next block start absolute (every payload size)', () => {
    for (let size = 0; size < 120; size++) {
      const recs = Array.from({ length: 400 }, (_, i) => ({ kind: 'data' as const, seq: 1 + i, timeMs: i * 1000, payload: new Uint8Array(size).fill(i & 0xff) }));
      const { recs: back, bad } = decodeAll(encodeAll(recs, 32), 32);
      expect(bad).toBe(0);
      expect(back).toEqual(recs);
    }
  });

  it('never lets a frame span a block boundary', () => {
    const recs = randomRecords(500);
    const sink = new ByteSink();
    const enc = new FrameEncoder(0, null);
    for (const r of recs) {
      enc.encode(r.kind, r.seq, r.timeMs, r.payload, sink);
      expect(Math.floor(enc.lastFrameStart / BLOCK_BYTES)).toBe(Math.floor((enc.lastFrameEnd - 1) / BLOCK_BYTES));
    }
  });

  it('costs 6 bytes per record at a regular 1 Hz rate with consecutive seqs', () => {
    const recs = Array.from({ length: 1000 }, (_, i) => ({ kind: 'data' as const, seq: 100 + i, timeMs: 1_700_000_000_000 + i * 1000, payload: new Uint8Array(40) }));
    const buf = encodeAll(recs);
    const overhead = buf.length / 1000 - 40;
    expect(overhead).toBeGreaterThan(6);
    expect(overhead).toBeLessThan(6.6); // 6 bytes + one ABS frame and padding per 4 KiB block
  });

  it('rejects a payload larger than MAX_PAYLOAD instead of splitting it', () => {
    const sink = new ByteSink();
    const enc = new FrameEncoder(0, null);
    expect(() => enc.encode('data', 1, 0, new Uint8Array(MAX_PAYLOAD + 100), sink)).toThrow(RangeError);
  });

  it('a flipped bit never yields an altered record (every byte of the first KiB, 300 random others)', () => {
    const recs = randomRecords(120).map((r) => ({ ...r, payload: r.payload.subarray(0, 30) }));
    const buf = encodeAll(recs).subarray(0, BLOCK_BYTES);
    const clean = decodeAll(buf).recs;
    const key = (r: R) => `${r.kind}|${r.seq}|${r.timeMs}|${Buffer.from(r.payload).toString('hex')}`;
    const good = new Set(clean.map(key));
    const offsets = [...Array.from({ length: 1024 }, (_, i) => i), ...Array.from({ length: 300 }, () => 1024 + rand(buf.length - 1024))];
    for (const i of offsets) {
      const bad = buf.slice();
      bad[i]! ^= 1 << (i % 8);
      const { recs: got, bad: nbad } = decodeAll(bad);
      for (const r of got) expect(good.has(key(r))).toBe(true);
      expect(got.length).toBeLessThan(clean.length);
      expect(nbad).toBe(1);
    }
  });

  it('resync is sound: a payload that contains a valid frame is not mistaken for one', () => {
    // record 2's payload is itself a complete, valid block-start frame
    const inner = encodeAll([{ kind: 'data', seq: 999999, timeMs: 5, payload: Buffer.from('forged') }]);
    const recs: R[] = [
      { kind: 'data', seq: 1, timeMs: 1, payload: Buffer.from('a') },
      { kind: 'data', seq: 2, timeMs: 2, payload: inner },
      { kind: 'data', seq: 3, timeMs: 3, payload: Buffer.from('c') },
    ];
    const buf = encodeAll(recs);
    buf[0]! ^= 0x10; // corrupt the first frame: the rest of the block is dropped, not scanned
    const { recs: got, bad } = decodeAll(buf);
    expect(bad).toBe(1);
    expect(got.find((r) => r.seq === 999999)).toBeUndefined();
    expect(got).toEqual([]);
  });

  it('gap payloads round-trip', () => {
    const g = { fromSeq: 10, toSeq: 99, fromTimeMs: 1_700_000_000_000, toTimeMs: 1_700_000_090_000, lost: 45, reason: 'thinned' as const };
    expect(decodeGap(encodeGap(g))).toEqual(g);
    expect(decodeGap(Buffer.from([9, 1, 1, 1, 1, 1]))).toBeNull();
  });
});
