import { describe, expect, it } from 'vitest';
import type { CanRxFrame } from '../../src/hal/can.js';
import { J1939Decoder } from '../../src/vehicle/j1939/decoder.js';
import { makeId } from '../../src/vehicle/j1939/id.js';
import { PGN } from '../../src/vehicle/j1939/pgns.js';

const f = (id: number, data: number[], tsMs: number): CanRxFrame => ({ id, ext: true, data: Uint8Array.from(data), tsMs });
const pgnBytes = (pgn: number) => [pgn & 0xff, (pgn >> 8) & 0xff, pgn >> 16];

/** The frames of one TP.BAM session: announcement, then 7-byte packets padded with 0xFF. */
function bam(sa: number, pgn: number, payload: Uint8Array, t0: number, gap = 50): CanRxFrame[] {
  const n = Math.ceil(payload.length / 7);
  const out = [f(makeId(7, PGN.TP_CM, sa, 0xff), [32, payload.length & 0xff, payload.length >> 8, n, 0xff, ...pgnBytes(pgn)], t0)];
  for (let i = 0; i < n; i++) {
    const chunk = [...payload.subarray(i * 7, i * 7 + 7)];
    while (chunk.length < 7) chunk.push(0xff);
    out.push(f(makeId(7, PGN.TP_DT, sa, 0xff), [i + 1, ...chunk], t0 + gap * (i + 1)));
  }
  return out;
}

const VIN = Uint8Array.from(Buffer.from('1FUJGLDR0BLAY1556*'));
const DM1 = Uint8Array.from([0x04, 0xff, 0xbe, 0x00, 0x02, 0x03, 0xff, 0xff, 0xe5, 0x81]);

function run(dec: J1939Decoder, frames: CanRxFrame[]) {
  return frames.map((x) => dec.push(x)).filter((r) => r !== null);
}

describe('J1939 transport protocol (listen-only)', () => {
  it('reassembles a BAM VIN and a BAM DM1 from two senders interleaved frame by frame', () => {
    const a = bam(0x00, PGN.VI, VIN, 0);
    const b = bam(0x03, PGN.DM1, DM1, 10);
    const mixed: CanRxFrame[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) mixed.push(a[i]!);
      if (b[i]) mixed.push(b[i]!);
    }
    const dec = new J1939Decoder();
    const got = run(dec, mixed);
    expect(got.map((r) => [r.name, r.sa])).toEqual([['DM1', 3], ['VI', 0]]);
    expect(got[1]!.values).toEqual({ vin: '1FUJGLDR0BLAY1556' });
    expect(got[0]!.values.dtcs!.map((d) => d.code)).toEqual(['SPN 190 FMI 2', 'SPN 524287 FMI 5']);
    expect(dec.stats.tp).toEqual({ completed: 2, dropped: 0, bad: 0 });
  });

  it('follows an RTS/CTS session between two other nodes, retransmitted packet included', () => {
    const sa = 0x00;
    const da = 0xf9;
    const cm = (from: number, to: number, d: number[], t: number) => f(makeId(7, PGN.TP_CM, from, to), d, t);
    const dt = (seq: number, d: number[], t: number) => f(makeId(7, PGN.TP_DT, sa, da), [seq, ...d], t);
    const frames = [
      cm(sa, da, [16, 18, 0, 3, 2, ...pgnBytes(PGN.VI)], 0),
      cm(da, sa, [17, 2, 1, 0xff, 0xff, ...pgnBytes(PGN.VI)], 5),
      dt(1, [...VIN.subarray(0, 7)], 10),
      dt(2, [0, 0, 0, 0, 0, 0, 0], 20),
      dt(2, [...VIN.subarray(7, 14)], 30),
      cm(da, sa, [17, 1, 3, 0xff, 0xff, ...pgnBytes(PGN.VI)], 1200),
      dt(3, [...VIN.subarray(14), 0xff, 0xff, 0xff], 1300),
      cm(da, sa, [19, 18, 0, 3, 0xff, ...pgnBytes(PGN.VI)], 1310),
    ];
    const dec = new J1939Decoder();
    const got = run(dec, frames);
    expect(got).toEqual([{ pgn: PGN.VI, name: 'VI', sa, da, tsMs: 1300, values: { vin: '1FUJGLDR0BLAY1556' } }]);
    expect(dec.stats.tp).toEqual({ completed: 1, dropped: 0, bad: 0 });
  });

  it('drops a BAM whose packet was lost once the 750 ms gap passed, and decodes the next one', () => {
    const dec = new J1939Decoder();
    const first = bam(0x00, PGN.VI, VIN, 0);
    expect(run(dec, [first[0]!, first[1]!, first[3]!])).toEqual([]);
    dec.expire(950);
    expect(dec.stats.tp.dropped).toBe(1);
    expect(run(dec, bam(0x00, PGN.VI, VIN, 1000)).map((r) => r.values.vin)).toEqual(['1FUJGLDR0BLAY1556']);
  });

  it('a new announcement from the same sender replaces the unfinished one', () => {
    const dec = new J1939Decoder();
    const s1 = bam(0x00, PGN.VI, VIN, 0);
    run(dec, s1.slice(0, 2));
    expect(run(dec, bam(0x00, PGN.DM1, DM1, 100)).map((r) => r.name)).toEqual(['DM1']);
    expect(run(dec, s1.slice(2))).toEqual([]);
    expect(dec.stats.tp).toMatchObject({ completed: 1, dropped: 1 });
  });

  it('an abort from the receiver ends the session', () => {
    const dec = new J1939Decoder();
    run(dec, [f(makeId(7, PGN.TP_CM, 0, 0xf9), [16, 18, 0, 3, 2, ...pgnBytes(PGN.VI)], 0), f(makeId(7, PGN.TP_DT, 0, 0xf9), [1, ...VIN.subarray(0, 7)], 10)]);
    run(dec, [f(makeId(7, PGN.TP_CM, 0xf9, 0), [255, 1, 0xff, 0xff, 0xff, ...pgnBytes(PGN.VI)], 20)]);
    expect(dec.stats.tp).toMatchObject({ completed: 0, dropped: 1 });
    expect(run(dec, [f(makeId(7, PGN.TP_DT, 0, 0xf9), [2, ...VIN.subarray(7, 14)], 30)])).toEqual([]);
    expect(dec.stats.tp.bad).toBe(1);
  });

  it.each([
    ['size over 1785 bytes', [32, 0xfa, 0x06, 255, 0xff, ...pgnBytes(PGN.DM1)]],
    ['packet count that does not match the size', [32, 18, 0, 4, 0xff, ...pgnBytes(PGN.VI)]],
    ['size under 9 bytes', [32, 8, 0, 2, 0xff, ...pgnBytes(PGN.VI)]],
    ['short announcement', [32, 18, 0, 3]],
    ['unknown control byte', [99, 18, 0, 3, 0xff, ...pgnBytes(PGN.VI)]],
  ])('refuses an announcement with a %s before allocating', (_n, d) => {
    const dec = new J1939Decoder();
    run(dec, [f(makeId(7, PGN.TP_CM, 0, 0xff), d, 0)]);
    expect(dec.stats.tp.bad).toBe(1);
    expect(run(dec, bam(0, PGN.VI, VIN, 10).slice(1))).toEqual([]);
  });

  it('keeps at most maxSessions open, evicting the oldest', () => {
    const dec = new J1939Decoder({ maxTpSessions: 4 });
    for (let sa = 0; sa < 10; sa++) run(dec, [bam(sa, PGN.VI, VIN, sa)[0]!]);
    expect(dec.stats.tp.dropped).toBe(6);
    const last = bam(9, PGN.VI, VIN, 20).slice(1);
    expect(run(dec, last).map((r) => r.sa)).toEqual([9]);
  });

  it('random frames never throw and never hold more than the session limit', () => {
    const dec = new J1939Decoder({ maxTpSessions: 8 });
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 50_000; i++) {
      const kind = rnd() % 3;
      const pgn = kind === 0 ? PGN.TP_CM : kind === 1 ? PGN.TP_DT : 0xfe00 | rnd();
      const id = makeId(rnd() & 7, pgn, rnd() & 7, rnd() & 1 ? 0xff : rnd() & 7);
      const len = rnd() % 9;
      const data = Array.from({ length: len }, () => (kind === 0 && rnd() & 1 ? [16, 32][rnd() & 1]! : rnd()));
      dec.push(f(id, data, i));
      if (dec.openSessions > 8) throw new Error(`${dec.openSessions} sessions open`);
    }
    expect(dec.stats.frames).toBe(50_000);
    expect(dec.stats.tp.bad).toBeGreaterThan(0);
  });
});
