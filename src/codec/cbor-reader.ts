import { CodecError } from './errors.js';

/**
 * The codec's CBOR reader: one pass, no trust in declared lengths, typed errors.
 * It accepts exactly the codec's profile of RFC 8949 (what the writer emits and
 * what any plain CBOR encoder produces for the same data):
 *
 * - definite lengths only; no tags (major type 6); simple values only false,
 *   true, null; floats of 16, 32 or 64 bits;
 * - every map key an unsigned integer <= 65535, no key twice in one map;
 * - nesting at most MAX_DEPTH deep, at most MAX_ITEMS data items per message,
 *   text valid UTF-8;
 * - every declared count or length is checked against the bytes that remain
 *   (an item is at least one byte) BEFORE anything is allocated, so a message
 *   can never make the reader allocate more than a small multiple of its size.
 *
 * Why not cbor-x here: cbor-x trusts declared lengths (an array head of 100
 * million items makes it allocate before it notices the data is missing),
 * understands tags the codec must refuse, and on its own decodes a telemetry
 * record slower than JSON.parse on this machine. cbor-x stays the independent
 * reference in the tests: records and batches are byte-identical to what it
 * writes, and the fuzz test checks that whatever this reader accepts, cbor-x
 * decodes to the same values.
 *
 * Decoded values: integers as numbers (beyond 2^53 as bigint, which every field
 * check rejects), text as string, byte strings as Uint8Array (views into the
 * input), arrays as arrays, maps as objects keyed by the integer keys.
 *
 * The session protocol's frames read with `frame: true`: map keys are text
 * strings of at most MAX_TEXT_KEY bytes instead, no key twice, into objects
 * without a prototype (a key "__proto__" is just a key); and indefinite-length
 * strings, arrays and maps are accepted too (other encoders write them). They
 * stay bounded: every item still takes at least one byte of the message and
 * counts against MAX_ITEMS, chunks of a string must be definite strings of the
 * same major type, and nesting counts as for definite items.
 */
export const MAX_MESSAGE_BYTES = 1 << 20;
export const MAX_DEPTH = 8;
export const MAX_ITEMS = 1 << 18;
export const MAX_MAP_KEY = 0xffff;
export const MAX_TEXT_KEY = 64;

export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | CborMap;
export interface CborMap {
  [key: number]: CborValue;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const TWO32 = 2 ** 32;
/** head()'s argument for an indefinite length (frames only). */
const INDEFINITE = -2;

function incomplete(what: string): never {
  throw new CodecError(`truncated: ${what} runs past the end of the data`, undefined, true);
}

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** The keys of one map so far: small keys as bits, others in a Set made on demand. */
export class MapKeys {
  private bits = 0;
  private big: Set<number> | null = null;

  /** False when the key was there already. */
  add(key: number): boolean {
    if (key < 31) {
      if (this.bits & (1 << key)) return false;
      this.bits |= 1 << key;
      return true;
    }
    this.big ??= new Set();
    if (this.big.has(key)) return false;
    this.big.add(key);
    return true;
  }
}

export class Reader {
  pos: number;
  items = 0;
  /** Set by head(): major type, argument (number, or -1 when beyond 2^53), additional info. */
  major = 0;
  arg = 0;
  info = 0;
  big = 0n;
  private dv: DataView | null = null;

  constructor(
    readonly b: Uint8Array,
    offset: number,
    readonly end: number,
    /** The frames' profile: text map keys, indefinite lengths allowed. */
    readonly frame = false,
  ) {
    this.pos = offset;
  }

  private get view(): DataView {
    return (this.dv ??= new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength));
  }

  head(): void {
    if (++this.items > MAX_ITEMS) throw new CodecError(`more than ${MAX_ITEMS} CBOR items`);
    const b = this.b;
    if (this.pos >= this.end) incomplete('a CBOR item');
    const at = this.pos;
    const ib = b[this.pos++]!;
    this.major = ib >> 5;
    const info = (this.info = ib & 0x1f);
    if (info < 24) {
      this.arg = info;
      return;
    }
    const p = this.pos;
    switch (info) {
      case 24:
        if (p + 1 > this.end) incomplete('a CBOR head');
        this.arg = b[p]!;
        this.pos = p + 1;
        return;
      case 25:
        if (p + 2 > this.end) incomplete('a CBOR head');
        this.arg = (b[p]! << 8) | b[p + 1]!;
        this.pos = p + 2;
        return;
      case 26:
        if (p + 4 > this.end) incomplete('a CBOR head');
        this.arg = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
        this.pos = p + 4;
        return;
      case 27: {
        if (p + 8 > this.end) incomplete('a CBOR head');
        const hi = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
        const lo = b[p + 4]! * 0x1000000 + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
        this.pos = p + 8;
        if (hi < 0x200000) this.arg = hi * TWO32 + lo;
        else {
          this.arg = -1;
          this.big = (BigInt(hi) << 32n) | BigInt(lo);
        }
        return;
      }
      case 31:
        if (this.frame && this.major >= 2 && this.major <= 5) {
          this.arg = INDEFINITE;
          return;
        }
        if (this.frame && ib === 0xff) throw new CodecError(`break (0xff) outside an indefinite-length item at offset ${at}`);
        throw new CodecError(`indefinite-length items are not allowed (byte 0x${ib.toString(16)} at offset ${at})`);
      default:
        throw new CodecError(`reserved additional information ${info} at offset ${at}`);
    }
  }

  /** Length of a string or count of an array/map, checked against what remains. */
  count(per: number, what: string, at: number): number {
    const remaining = this.end - this.pos;
    if (this.arg < 0 || this.arg * per > remaining) incomplete(`a ${what} of ${this.arg < 0 ? this.big : this.arg} at offset ${at}`);
    return this.arg;
  }

  /** Reads a map key: an unsigned integer <= 65535 not seen before in this map. */
  key(keys: MapKeys): number {
    const kat = this.pos;
    this.head();
    const key = this.arg;
    if (this.major !== 0 || key < 0 || key > MAX_MAP_KEY) throw new CodecError(`map key at offset ${kat} is not an unsigned integer <= ${MAX_MAP_KEY}`);
    if (!keys.add(key)) throw new CodecError(`map key ${key} appears twice (offset ${kat})`);
    return key;
  }

  /** Reads a text map key of at most MAX_TEXT_KEY bytes not seen before in this map. */
  private textKey(keys: Set<string>): string {
    const kat = this.pos;
    this.head();
    if (this.major !== 3 || this.arg === -1 || this.arg > MAX_TEXT_KEY) throw new CodecError(`map key at offset ${kat} is not a text string of at most ${MAX_TEXT_KEY} bytes`);
    const key = this.text(kat);
    if (Buffer.byteLength(key) > MAX_TEXT_KEY) throw new CodecError(`map key at offset ${kat} is not a text string of at most ${MAX_TEXT_KEY} bytes`);
    if (keys.has(key)) throw new CodecError(`map key "${key}" appears twice (offset ${kat})`);
    keys.add(key);
    return key;
  }

  value(depth: number): CborValue {
    const at = this.pos;
    this.head();
    switch (this.major) {
      case 0:
        return this.arg >= 0 ? this.arg : this.big;
      case 1:
        return this.arg >= 0 ? -1 - this.arg : -1n - this.big;
      case 2: {
        if (this.arg === INDEFINITE) return this.chunks(2, at) as Uint8Array;
        const n = this.count(1, 'byte string', at);
        const v = this.b.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case 3:
        return this.text(at);
      case 4: {
        if (depth >= MAX_DEPTH) throw new CodecError(`nesting deeper than ${MAX_DEPTH} at offset ${at}`);
        if (this.arg === INDEFINITE) {
          const a: CborValue[] = [];
          while (!this.atBreak()) a.push(this.value(depth + 1));
          return a;
        }
        const n = this.count(1, 'array', at);
        const a: CborValue[] = new Array(n);
        for (let i = 0; i < n; i++) a[i] = this.value(depth + 1);
        return a;
      }
      case 5: {
        if (depth >= MAX_DEPTH) throw new CodecError(`nesting deeper than ${MAX_DEPTH} at offset ${at}`);
        if (this.arg === INDEFINITE) return this.textMap(-1, depth);
        const n = this.count(2, 'map', at);
        if (this.frame) return this.textMap(n, depth);
        const m: CborMap = {};
        const keys = new MapKeys();
        for (let i = 0; i < n; i++) m[this.key(keys)] = this.value(depth + 1);
        return m;
      }
      case 6:
        throw new CodecError(`CBOR tag ${this.arg < 0 ? this.big : this.arg} at offset ${at} is not allowed`);
      default:
        switch (this.info) {
          case 20:
            return false;
          case 21:
            return true;
          case 22:
            return null;
          case 25:
            return halfToNumber(this.arg);
          case 26:
            return this.view.getFloat32(this.pos - 4);
          case 27:
            return this.view.getFloat64(this.pos - 8);
          default:
            throw new CodecError(`simple value ${this.arg} at offset ${at} is not allowed (only false, true, null and floats)`);
        }
    }
  }

  /** True (and the break consumed) when an indefinite-length item ends here. */
  private atBreak(): boolean {
    if (this.pos >= this.end) incomplete('an indefinite-length item');
    if (this.b[this.pos] !== 0xff) return false;
    this.pos++;
    return true;
  }

  /** An indefinite-length byte or text string: definite chunks of the same major type up to the break. */
  private chunks(major: 2 | 3, at: number): Uint8Array | string {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (!this.atBreak()) {
      const cat = this.pos;
      this.head();
      if (this.major !== major || this.arg === INDEFINITE) throw new CodecError(`chunk at offset ${cat} of the indefinite-length string at offset ${at} is not a definite ${major === 2 ? 'byte' : 'text'} string`);
      const n = this.count(1, 'string chunk', cat);
      parts.push(this.b.subarray(this.pos, this.pos + n));
      this.pos += n;
      total += n;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    if (major === 2) return out;
    try {
      return utf8.decode(out);
    } catch {
      throw new CodecError(`text at offset ${at} is not valid UTF-8`);
    }
  }

  /** The text string whose head (at `at`) was just read. */
  private text(at: number): string {
    if (this.arg === INDEFINITE) return this.chunks(3, at) as string;
    const n = this.count(1, 'text string', at);
    let s: string;
    try {
      s = utf8.decode(this.b.subarray(this.pos, this.pos + n));
    } catch {
      throw new CodecError(`text at offset ${at} is not valid UTF-8`);
    }
    this.pos += n;
    return s;
  }

  /** A map with text keys; n < 0: indefinite length, up to the break. */
  private textMap(n: number, depth: number): CborMap {
    const m = Object.create(null) as Record<string, CborValue>;
    const keys = new Set<string>();
    if (n < 0) while (!this.atBreak()) m[this.textKey(keys)] = this.value(depth + 1);
    else for (let i = 0; i < n; i++) m[this.textKey(keys)] = this.value(depth + 1);
    return m;
  }
}

/**
 * Checks that one whole CBOR item in the codec profile starts at `offset`;
 * returns the offset just past it. Throws CodecError (incomplete=true when the
 * bytes end too soon).
 */
export function scanCborItem(b: Uint8Array, offset = 0, end = b.length): number {
  const r = new Reader(b, offset, end);
  r.value(0);
  return r.pos;
}

/** A reader over a whole message, after the checks every message gets. */
export function messageReader(b: Uint8Array): Reader {
  if (!(b instanceof Uint8Array)) throw new CodecError('expected bytes (Uint8Array)');
  if (b.length === 0) throw new CodecError('empty message', undefined, true);
  if (b.length > MAX_MESSAGE_BYTES) throw new CodecError(`message of ${b.length} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`);
  return new Reader(b, 0, b.length);
}

/** The message must end where its item ends. */
export function expectEnd(r: Reader): void {
  if (r.pos !== r.end) throw new CodecError(`${r.end - r.pos} bytes after the end of the CBOR item`);
}

/** Decodes exactly one CBOR item (in the profile) filling `b`. */
export function decodeCbor(b: Uint8Array): CborValue {
  const r = messageReader(b);
  const v = r.value(0);
  expectEnd(r);
  return v;
}
