import { HttpError } from './errors.js';

/** One byte range of a file, both ends included (RFC 9110 section 14). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Digits of one position; longer ones are refused before they reach Number(). */
const SPEC = /^bytes=(\d{0,20})-(\d{0,20})$/i;

const unsatisfiable = (size: number, why: string) => new HttpError(416, `Range: ${why} (the file has ${size} bytes)`, 'range', { 'content-range': `bytes */${size}` });

/**
 * The one range a Range header asks of a file of `size` bytes, or null without the
 * header. `bytes=A-B`, `bytes=A-` and `bytes=-N` (the last N bytes) are served, the
 * end clamped to the file; a range that starts at or past the end, or `bytes=-0`,
 * is 416 with `Content-Range: bytes *\/SIZE`. A header that is not one of these
 * (another unit, a last position before the first) is 400, and so is a list of
 * ranges: one range per request, so a response never grows past what was asked.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const v = header.trim();
  if (v.includes(',')) throw new HttpError(400, `Range: only one range per request is served, got ${JSON.stringify(v.slice(0, 80))}`, 'range');
  const m = SPEC.exec(v);
  if (!m) throw new HttpError(400, `Range: expected bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX, got ${JSON.stringify(v.slice(0, 80))}`, 'range');
  const [first, last] = [m[1]!, m[2]!];
  if (first === '') {
    if (last === '') throw new HttpError(400, 'Range: bytes=- names no byte', 'range');
    const n = Number(last);
    if (n === 0 || size === 0) throw unsatisfiable(size, 'the last 0 bytes are no range');
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) throw new HttpError(400, `Range: the last byte ${last} comes before the first ${first}`, 'range');
  if (start >= size) throw unsatisfiable(size, `byte ${first} is past the end`);
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
