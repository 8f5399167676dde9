import { CloseCode, ProtocolError } from './close-codes.js';
import { HEADER_BYTES, DEFAULT_LIMITS, type Frame, type FrameTypeName, type Limits } from './messages.js';
import { decodePayload, frameRow } from './wire.js';

/**
 * Splits a byte stream into frames. Holds at most one frame's bytes; a header
 * announcing more than the type's limit fails before the payload is buffered.
 * After an error the reader is dead (the connection closes).
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed: ProtocolError | null = null;

  constructor(
    private readonly limits: Limits = DEFAULT_LIMITS,
    /** Frame types allowed on this stream. */
    private readonly allowed?: ReadonlySet<FrameTypeName>,
    private readonly where = 'stream',
  ) {}

  /** Feeds bytes; returns the complete frames they finish. Throws ProtocolError. */
  push(data: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    try {
      return this.parse(data);
    } catch (err) {
      this.failed = err instanceof ProtocolError ? err : new ProtocolError(CloseCode.internal, String(err));
      throw this.failed;
    }
  }

  /** Bytes of an unfinished frame (a stream that ends with some is truncated). */
  get pending(): number {
    return this.buffered;
  }

  private parse(data: Uint8Array): Frame[] {
    if (data.length) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      const code = head[0]!;
      const len = new DataView(head.buffer, head.byteOffset, HEADER_BYTES).getUint32(1);
      const row = frameRow(code, this.limits);
      if (!row) throw new ProtocolError(CloseCode.protocol, `${this.where}: unknown frame type 0x${code.toString(16).padStart(2, '0')}`);
      const { name, max } = row;
      if (this.allowed && !this.allowed.has(name)) throw new ProtocolError(CloseCode.protocol, `${this.where}: ${name} frame not allowed here`);
      if (len > max) throw new ProtocolError(CloseCode.tooLarge, `${this.where}: ${name} frame of ${len} bytes, limit ${max}`);
      if (this.buffered < HEADER_BYTES + len) return frames;
      const all = this.take(HEADER_BYTES + len);
      frames.push(decodePayload(code, all.subarray(HEADER_BYTES), this.limits));
    }
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Uint8Array {
    const first = this.peek(n);
    this.chunks[0] = first.subarray(n);
    if (this.chunks[0].length === 0) this.chunks.shift();
    this.buffered -= n;
    return first.subarray(0, n);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
