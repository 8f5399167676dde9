/**
 * CBOR written by hand, byte by byte, the way other libraries may write it: every
 * head can be given an explicit width (1 = in the initial byte, 2, 3, 5 or 9 bytes
 * in all), so tests can send integers as 0x1b heads, non-shortest heads, floats
 * and declared lengths the data does not back. Independent of src/codec on purpose.
 */
export type Width = 1 | 2 | 3 | 5 | 9;

export function head(major: number, n: number | bigint, width?: Width): number[] {
  const v = BigInt(n);
  const w = width ?? (v < 24n ? 1 : v < 0x100n ? 2 : v < 0x10000n ? 3 : v < 0x100000000n ? 5 : 9);
  const info = { 1: Number(v), 2: 24, 3: 25, 5: 26, 9: 27 }[w];
  const out = [(major << 5) | info];
  for (let i = w - 2; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

export const uint = (n: number | bigint, width?: Width): number[] => head(0, n, width);
export const nint = (n: number | bigint, width?: Width): number[] => head(1, -1n - BigInt(n), width);
export const int = (n: number | bigint, width?: Width): number[] => (BigInt(n) < 0n ? nint(n, width) : uint(n, width));
export const text = (s: string): number[] => {
  const b = [...Buffer.from(s, 'utf8')];
  return [...head(3, b.length), ...b];
};
export const bytes = (b: ArrayLike<number>): number[] => [...head(2, b.length), ...Array.from(b)];
export const arr = (...items: number[][]): number[] => [...head(4, items.length), ...items.flat()];
export const map = (...pairs: [string, number[]][]): number[] => [...head(5, pairs.length), ...pairs.flatMap(([k, v]) => [...text(k), ...v])];
export const f64 = (x: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return [0xfb, ...b];
};

/** A geostream/1.0 frame: type, u32 BE length, payload. */
export function frame(type: number, payload: number[]): Uint8Array {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  Buffer.from(payload).copy(out, 5);
  return out;
}
