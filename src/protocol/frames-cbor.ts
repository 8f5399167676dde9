import { CborWriter } from '../codec/cbor-writer.js';
import { expectEnd, Reader } from '../codec/cbor-reader.js';

/**
 * CBOR of frame payloads (docs/PROTOCOL.md part 2, "Frame payloads").
 *
 * Writing: every number is an integer and goes out as a CBOR integer (major
 * type 0 or 1) in its shortest head, 8 bytes (0x1b) from 2^32 on; text keys;
 * definite lengths. A number that is not a safe integer is a bug in the caller
 * and throws.
 *
 * Reading: the codec's bounded reader (src/codec/cbor-reader.ts) in its frame
 * profile (text map keys, indefinite lengths accepted): every declared length or
 * count is checked against the bytes that remain before anything is allocated,
 * nesting and item counts are capped, tags are refused. Integers may use any
 * head length; integers of
 * 2^53 or more come back as bigint, which the field checks refuse by name.
 */
export type WireValue = number | string | Uint8Array | readonly WireValue[] | { readonly [key: string]: WireValue | undefined };

const writer = new CborWriter(1024);

function put(w: CborWriter, v: WireValue): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`frame field value ${v} is not a safe integer`);
    w.int(v);
  } else if (typeof v === 'string') w.text(v);
  else if (v instanceof Uint8Array) w.byteString(v);
  else if (Array.isArray(v)) {
    w.array(v.length);
    for (const x of v as readonly WireValue[]) put(w, x);
  } else {
    const entries = Object.entries(v).filter((e): e is [string, WireValue] => e[1] !== undefined);
    w.map(entries.length);
    for (const [k, x] of entries) {
      w.text(k);
      put(w, x);
    }
  }
}

/** One frame payload as CBOR (a fresh copy). */
export function encodeWire(v: WireValue): Uint8Array {
  writer.reset();
  put(writer, v);
  return writer.bytes();
}

/** Decodes exactly one CBOR item filling `b`. Throws CodecError naming what is wrong. */
export function decodeWire(b: Uint8Array): unknown {
  const r = new Reader(b, 0, b.length, true);
  const v = r.value(0);
  expectEnd(r);
  return v;
}
