import { describe, expect, it } from 'vitest';
import { BitWriter, packRice, riceCost, unpackRice } from '../../src/codec/bits.js';

/** Reference packing, one unary code and one bit field at a time (the general path). */
function slowRice(zs: number[], k: number): Uint8Array {
  const w = new BitWriter(Math.ceil(riceCost(zs, k) / 8));
  for (const z of zs) {
    w.unary(Math.floor(z / 2 ** k));
    w.bits(z % 2 ** k, k);
  }
  return w.finish();
}

describe('Rice packing', () => {
  it('gives the same bits as one code at a time, for short codes, codes over 24 bits and runs of 16+ ones, k 0..20', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k <= 20; k++) {
      for (let t = 0; t < 40; t++) {
        // Mostly small residuals with rare large ones (quotients up to ~70 ones).
        const zs = Array.from({ length: 1 + (t % 61) }, () => Math.floor(rnd() ** 4 * 2 ** k * 70));
        const b = packRice(zs, k);
        expect(Buffer.from(b).toString('hex')).toBe(Buffer.from(slowRice(zs, k)).toString('hex'));
        expect(unpackRice(b, zs.length, k, 'x')).toEqual(zs);
      }
    }
  });

  it('packs values of 2^31 and more (general path) and reads them back', () => {
    const zs = [0, 2 ** 31, 3, 2 ** 40 + 5, 1];
    expect(unpackRice(packRice(zs, 30), zs.length, 30, 'x')).toEqual(zs);
    expect(unpackRice(packRice(zs, 12), zs.length, 12, 'x')).toEqual(zs);
  });
});
