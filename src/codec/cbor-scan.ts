import { Decoder } from 'cbor-x';
import { CodecError } from './errors.js';

/**
 * Hostile-input guard in front of cbor-x. cbor-x trusts declared lengths (an array
 * head of 100 million items makes it allocate before it notices the data is
 * missing) and understands tags (shared references, records, typed arrays) the
 * codec never uses. So every message is first walked header by header, without
 * allocating, and must be in the codec's CBOR profile:
 *
 * - definite lengths only; no tags (major type 6); simple values only false,
 *   true, null; floats of 16, 32 or 64 bits;
 * - every map key an unsigned integer <= 65535, no key twice in one map;
 * - nesting at most MAX_DEPTH deep, at most MAX_ITEMS data items in all;
 * - every declared count or length checked against the bytes that remain
 *   (an item is at least one byte) BEFORE cbor-x sees it.
 *
 * Only then does cbor-x decode, which by now cannot allocate more than a small
 * multiple of the input size.
 */
export const MAX_MESSAGE_BYTES = 1 << 20;
export const MAX_DEPTH = 8;
export const MAX_ITEMS = 1 << 18;
export const MAX_MAP_KEY = 0xffff;

interface ScanState {
  b: Uint8Array;
  pos: number;
  end: number;
  items: number;
}

function incomplete(what: string): never {
  throw new CodecError(`truncated: ${what} runs past the end of the data`, undefined, true);
}

/** Reads a head; returns [major, argument]; argument is exact up to 2^53. */
function readHead(s: ScanState): [number, number, number] {
  if (s.pos >= s.end) incomplete('a CBOR item');
  const ib = s.b[s.pos++]!;
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (info < 24) return [major, info, info];
  const len = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (len === 0) {
    if (info === 31) throw new CodecError(`indefinite-length items are not allowed (byte 0x${ib.toString(16)} at offset ${s.pos - 1})`);
    throw new CodecError(`reserved additional information ${info} at offset ${s.pos - 1}`);
  }
  if (s.pos + len > s.end) incomplete('a CBOR head');
  let n = 0;
  for (let i = 0; i < len; i++) n = n * 256 + s.b[s.pos++]!;
  return [major, n, info];
}

function scanItem(s: ScanState, depth: number): void {
  if (++s.items > MAX_ITEMS) throw new CodecError(`more than ${MAX_ITEMS} CBOR items`);
  const at = s.pos;
  const [major, n, info] = readHead(s);
  const remaining = s.end - s.pos;
  switch (major) {
    case 0:
    case 1:
      return;
    case 2:
    case 3:
      if (n > remaining) incomplete(`a ${n}-byte string at offset ${at}`);
      s.pos += n;
      return;
    case 4:
    case 5: {
      if (depth >= MAX_DEPTH) throw new CodecError(`nesting deeper than ${MAX_DEPTH} at offset ${at}`);
      const need = major === 5 ? 2 * n : n;
      if (need > remaining) incomplete(`a ${major === 5 ? 'map' : 'array'} of ${n} entries at offset ${at}`);
      if (major === 4) {
        for (let i = 0; i < n; i++) scanItem(s, depth + 1);
        return;
      }
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        const kat = s.pos;
        const [kmajor, key] = readHead(s);
        if (kmajor !== 0 || key > MAX_MAP_KEY) throw new CodecError(`map key at offset ${kat} is not an unsigned integer <= ${MAX_MAP_KEY}`);
        if (seen.has(key)) throw new CodecError(`map key ${key} appears twice (offset ${kat})`);
        seen.add(key);
        scanItem(s, depth + 1);
      }
      return;
    }
    case 6:
      throw new CodecError(`CBOR tag ${n} at offset ${at} is not allowed`);
    default:
      // major 7: readHead already consumed a float's bytes (info 25/26/27).
      if (info === 20 || info === 21 || info === 22 || info === 25 || info === 26 || info === 27) return;
      throw new CodecError(`simple value ${n} at offset ${at} is not allowed (only false, true, null and floats)`);
  }
}

/**
 * Checks that one whole CBOR item in the codec profile starts at `offset`;
 * returns the offset just past it. Throws CodecError (incomplete=true when the
 * bytes end too soon).
 */
export function scanCborItem(b: Uint8Array, offset = 0, end = b.length): number {
  const s: ScanState = { b, pos: offset, end, items: 0 };
  scanItem(s, 0);
  return s.pos;
}

const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

/**
 * Decodes exactly one CBOR item filling `b`, after the profile scan. Maps come
 * back as objects keyed by the integer keys; byte strings as Uint8Array.
 */
export function decodeCbor(b: Uint8Array): unknown {
  if (!(b instanceof Uint8Array)) throw new CodecError('expected bytes (Uint8Array)');
  if (b.length === 0) throw new CodecError('empty message', undefined, true);
  if (b.length > MAX_MESSAGE_BYTES) throw new CodecError(`message of ${b.length} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`);
  const end = scanCborItem(b);
  if (end !== b.length) throw new CodecError(`${b.length - end} bytes after the end of the CBOR item`);
  try {
    return decoder.decode(b);
  } catch (err) {
    // The scan accepted it, so this would be a cbor-x disagreement; still typed.
    throw new CodecError(`CBOR decode failed: ${(err as Error).message}`);
  }
}
