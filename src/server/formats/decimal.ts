/** 10 ** d for the scales decimalText() takes. */
const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/** Zeros that pad a fraction's digits on the left, by how many are needed. */
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

/**
 * String(v), the shortest text that reads back as `v`, for a number stored as an
 * integer divided by 10 ** d (a wire value in user units): when v is exactly m / 10 ** d
 * for an integer m, that decimal is the shortest such text (|m| < 1e15 keeps two
 * decimals of d places more than an ulp apart, so no shorter one reads back as v), and
 * it is written with integer arithmetic, several times cheaper than the general
 * conversion. Any other number (and what JavaScript writes with an exponent) goes to
 * String(v).
 */
export function decimalText(v: number, d: number): string {
  const p = POW10[d]!;
  const m = Math.round(v * p);
  const a = m < 0 ? -m : m;
  if (m / p !== v || !(a < 1e15) || !(a * 1e6 >= p)) return String(v);
  let ip = Math.floor(a / p);
  let f = a - ip * p;
  if (f < 0) {
    ip -= 1;
    f += p;
  } else if (f >= p) {
    ip += 1;
    f -= p;
  }
  const sign = m < 0 ? '-' : '';
  if (f === 0) return `${sign}${ip}`;
  let digits = d;
  while (f % 10 === 0) {
    f /= 10;
    digits -= 1;
  }
  const fs = String(f);
  return `${sign}${ip}.${ZEROS[digits - fs.length]}${fs}`;
}
