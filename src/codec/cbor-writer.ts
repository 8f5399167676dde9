/**
 * A small CBOR (RFC 8949) writer for the subset the codec emits: unsigned and
 * negative integers, text and byte strings, arrays, maps, false/true/null and
 * floats at a declared width. Heads always use the shortest form (preferred
 * serialization, RFC 8949 §4.1), lengths are always definite, so output for
 * integer data equals what cbor-x writes for the same Map (a test proves it).
 */
const MAJOR_UINT = 0;
const MAJOR_NINT = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;

const utf8 = new TextEncoder();

export class CborWriter {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** A copy of what was written (the internal buffer is reused). */
  bytes(): Uint8Array {
    const n = this.pos;
    // Node's pooled allocation: a typed array of its own would cost a backing
    // store per record (more than encoding the record). Every byte is written below.
    const out = Buffer.allocUnsafe(n);
    if (n <= 256) for (let i = 0; i < n; i++) out[i] = this.buf[i]!;
    else out.set(this.buf.subarray(0, n));
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** What was written, as a view valid until the next write or reset. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Major type and argument; `n` is a non-negative safe integer. */
  head(major: number, n: number): void {
    this.ensure(9);
    const m = major << 5;
    const b = this.buf;
    if (n < 24) b[this.pos++] = m | n;
    else if (n < 0x100) {
      b[this.pos++] = m | 24;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25;
      b[this.pos++] = n >>> 8;
      b[this.pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      b[this.pos++] = m | 26;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      b[this.pos++] = m | 27;
      this.view.setUint32(this.pos, Math.floor(n / 0x100000000));
      this.view.setUint32(this.pos + 4, n % 0x100000000);
      this.pos += 8;
    }
  }

  /** Any safe integer (major type 0 or 1). */
  int(v: number): void {
    if (v >= 0) this.head(MAJOR_UINT, v);
    else this.head(MAJOR_NINT, -1 - v);
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 0xf5 : 0xf4;
  }

  null(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xf6;
  }

  float32(v: number): void {
    this.ensure(5);
    this.buf[this.pos++] = 0xfa;
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
  }

  float64(v: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xfb;
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  text(s: string): void {
    const enc = utf8.encode(s);
    this.head(MAJOR_TEXT, enc.length);
    this.raw(enc);
  }

  byteString(b: Uint8Array): void {
    this.head(MAJOR_BYTES, b.length);
    this.raw(b);
  }

  array(count: number): void {
    this.head(MAJOR_ARRAY, count);
  }

  map(count: number): void {
    this.head(MAJOR_MAP, count);
  }

  raw(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    // A loop beats TypedArray.set for the few bytes of most columns.
    if (n <= 64) for (let i = 0, p = this.pos; i < n; i++) this.buf[p + i] = b[i]!;
    else this.buf.set(b, this.pos);
    this.pos += n;
  }
}
