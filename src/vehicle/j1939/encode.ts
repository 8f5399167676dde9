import { makeId } from './id.js';
import { PGN } from './pgns.js';

/**
 * Writing J1939-71 parameters (for simulated ECUs): the inverse of slots.ts, with
 * "not available" (all ones) for a value left undefined and the valid range enforced.
 */
export class PgnWriter {
  readonly d: Uint8Array;
  constructor(len = 8) {
    this.d = new Uint8Array(len).fill(0xff);
  }
  u8(i: number, v: number | undefined, res = 1, offset = 0): this {
    if (v !== undefined) this.d[i] = clamp(Math.round((v - offset) / res), 0xfa);
    return this;
  }
  u16(i: number, v: number | undefined, res = 1, offset = 0): this {
    if (v === undefined) return this;
    const w = clamp(Math.round((v - offset) / res), 0xfaff);
    this.d[i] = w & 0xff;
    this.d[i + 1] = w >> 8;
    return this;
  }
  u32(i: number, v: number | undefined, res = 1, offset = 0): this {
    if (v === undefined) return this;
    const w = clamp(Math.round((v - offset) / res), 0xfaffffff);
    for (let k = 0; k < 4; k++) this.d[i + k] = Math.floor(w / 2 ** (8 * k)) & 0xff;
    return this;
  }
  bit2(i: number, shift: number, v: boolean | undefined): this {
    if (v !== undefined) this.d[i] = (this.d[i]! & ~(3 << shift)) | ((v ? 1 : 0) << shift);
    return this;
  }
}

const clamp = (w: number, max: number): number => Math.max(0, Math.min(max, w));

/** The frames (29-bit id, data) of one message: a single frame, or TP.BAM + TP.DT packets. */
export function messageFrames(priority: number, pgn: number, sa: number, data: Uint8Array): { id: number; data: Uint8Array }[] {
  if (data.length <= 8) return [{ id: makeId(priority, pgn, sa), data }];
  const n = Math.ceil(data.length / 7);
  const cm = Uint8Array.of(32, data.length & 0xff, data.length >> 8, n, 0xff, pgn & 0xff, (pgn >> 8) & 0xff, pgn >> 16);
  const out = [{ id: makeId(7, PGN.TP_CM, sa), data: cm }];
  for (let i = 0; i < n; i++) {
    const p = new Uint8Array(8).fill(0xff);
    p[0] = i + 1;
    p.set(data.subarray(i * 7, i * 7 + 7), 1);
    out.push({ id: makeId(7, PGN.TP_DT, sa), data: p });
  }
  return out;
}
