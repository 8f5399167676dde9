import { describe, expect, it } from 'vitest';
import { allDrives, withSyntheticSensors } from '../support/codec-drive.js';
import { codecBatchPacker, encodeFix } from '../../src/telemetry/record-codec.js';
import { decodeRecord, encodeRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { encodeFrame } from '../../src/protocol/wire.js';
import { rangesOf } from '../../src/protocol/ranges.js';

describe('PACKED format 1 (codec columnar batches) on real drives', () => {
  it.each(allDrives().map(([name, fixes]) => [name, fixes] as const))('%s: every record unpacks byte-identical, in a fraction of the BATCH bytes', (_name, fixes) => {
    const entries = fixes.slice(0, 512).map((f, i) => ({ seq: 1000 + i, timeMs: f.timeMs, payload: encodeRecord(withSyntheticSensors(recordFromFix(f, 1000 + i), i)) }));
    const blob = codecBatchPacker.pack(entries);
    expect(blob).not.toBeNull();
    const back = codecBatchPacker.unpack(entries.map((e) => e.seq), blob!);
    expect(back).toEqual(entries.map((e) => ({ ...e, payload: expect.any(Uint8Array), record: expect.objectContaining({ seq: e.seq, timeMs: e.timeMs }) })));
    back.forEach((b, i) => expect(Buffer.from(b.payload).equals(Buffer.from(entries[i]!.payload))).toBe(true));
    const packed = encodeFrame({ type: 'PACKED', format: 1, seqs: rangesOf(entries.map((e) => e.seq)), blob: blob! }).length;
    const batch = encodeFrame({ type: 'BATCH', entries }).length;
    expect(packed).toBeLessThan(batch / 2);
  });

  it('a payload that is not a canonical telemetry record is not packed (sent as BATCH)', () => {
    const good = { seq: 1, timeMs: 1_600_000_000_000, payload: encodeFix({ timeMs: 1_600_000_000_000, lat: 48, lon: 11, lat7: 480_000_000, lon7: 110_000_000, alt: 500, speed: 10, course: 90, mode: 3, quality: 1, sats: 9, hdop: 0.9 }, 1) };
    expect(codecBatchPacker.pack([good])).not.toBeNull();
    expect(codecBatchPacker.pack([good, { seq: 2, timeMs: 1, payload: Uint8Array.of(1, 2, 3) }])).toBeNull();
    // right bytes, wrong time: the server would store another time than the spool's
    expect(codecBatchPacker.pack([{ ...good, timeMs: good.timeMs + 1 }])).toBeNull();
  });

  it('a blob that does not decode, or holds another number of records than seqs, throws with the reason', () => {
    expect(() => codecBatchPacker.unpack([1], Uint8Array.of(0xff, 0x00))).toThrow();
    const two = codecBatchPacker.pack([1, 2].map((s) => ({ seq: s, timeMs: s * 1000, payload: encodeRecord({ seq: s, timeMs: s * 1000, lat7: 1, lon7: 2, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null }) })))!;
    expect(() => codecBatchPacker.unpack([1, 2, 3], two)).toThrow(/2 records for 3 seqs/);
  });

  it('encodeFix carries the vehicle fields it is given, absent ones stay absent', () => {
    const fix = { timeMs: 1_600_000_000_000, lat: 48, lon: 11, lat7: 480_000_000, lon7: 110_000_000, alt: 500, speed: 10, course: 90, mode: 3 as const, quality: 1, sats: 9, hdop: 0.9 };
    const r = decodeRecord(encodeFix(fix, 7, { batteryMv: 13_800, ignition: true }));
    expect(r).toMatchObject({ seq: 7, batteryMv: 13_800, ignition: true, lat7: 480_000_000 });
    expect(r.rpm).toBeUndefined();
  });
});
