import {
  BLOCK_BYTES, FLAG_ABS, FLAG_DT_SAME, FLAG_SEQ_NEXT, FRAME_MIN_BYTES, KIND_DATA, KIND_GAP, KIND_MASK,
  TYPE_RESERVED, MAX_BODY,
} from './constants.js';
import { crc32c, maskCrc, unmaskCrc } from './crc32c.js';
import { readUvarint, unzigzag, uvarintSize, writeUvarint, zigzag, type VarintRead } from './varint.js';

export type Kind = 'data' | 'gap';

/** Where the previous frame of the current block left the delta state (null: block is fresh). */
export interface DeltaState {
  seq: number;
  timeMs: number;
  dt: number | null;
}

/** A growable byte buffer the encoder writes into. */
export class ByteSink {
  buf: Uint8Array;
  len = 0;
  constructor(initial = 64 * 1024) {
    this.buf = new Uint8Array(initial);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  reset(): void {
    this.len = 0;
  }
}

/**
 * Encodes records into a segment's byte stream (sans-IO): tracks the file offset, pads to the
 * next block when a frame would not fit, and keeps the per-block delta state. `offset` is where
 * the next byte lands in the file; the caller writes `sink` there.
 */
export class FrameEncoder {
  private prev: DeltaState | null;
  /** file offsets of the frame the last encode() wrote */
  lastFrameStart = 0;
  lastFrameEnd = 0;
  constructor(
    public offset: number,
    prev: DeltaState | null,
  ) {
    this.prev = offset % BLOCK_BYTES === 0 ? null : prev;
  }

  /** Bytes a frame for this record would take at most (padding excluded). */
  static maxFrameBytes(payloadLength: number): number {
    return 7 + 16 + payloadLength;
  }

  /** Offset after writing this record (padding included), without writing it. */
  endIfAppended(payloadLength: number): number {
    const max = FrameEncoder.maxFrameBytes(payloadLength);
    const room = BLOCK_BYTES - (this.offset % BLOCK_BYTES);
    return room >= max ? this.offset + max : this.offset + room + max;
  }

  /**
   * Appends one frame to `sink`; returns true when it started a new block (the caller indexes
   * the block's first seq).
   */
  encode(kind: Kind, seq: number, timeMs: number, payload: Uint8Array, sink: ByteSink): boolean {
    let flags = kind === 'gap' ? KIND_GAP : KIND_DATA;
    let prefix = 0;
    let dt = 0;
    const fill = (prev: DeltaState | null): void => {
      flags = kind === 'gap' ? KIND_GAP : KIND_DATA;
      if (prev === null) {
        flags |= FLAG_ABS;
        prefix = uvarintSize(seq) + uvarintSize(zigzag(timeMs));
        return;
      }
      dt = timeMs - prev.timeMs;
      if (seq === prev.seq + 1) flags |= FLAG_SEQ_NEXT;
      else prefix += uvarintSize(seq - prev.seq);
      if (prev.dt === dt) flags |= FLAG_DT_SAME;
      else prefix += uvarintSize(zigzag(dt));
    };
    fill(this.prev);
    let bodyLen = prefix + payload.length;
    let frameLen = 5 + uvarintSize(bodyLen) + bodyLen;
    const room = BLOCK_BYTES - (this.offset % BLOCK_BYTES);
    let fresh = this.prev === null;
    if (frameLen > room) {
      // Zero padding to the block end; the frame opens the next block as ABS.
      sink.zeros(room);
      this.offset += room;
      this.prev = null;
      prefix = 0;
      fill(null);
      bodyLen = prefix + payload.length;
      frameLen = 5 + uvarintSize(bodyLen) + bodyLen;
      fresh = true;
    }
    if (bodyLen > MAX_BODY) throw new RangeError(`frame body of ${bodyLen} bytes exceeds ${MAX_BODY}`);
    sink.ensure(frameLen);
    const b = sink.buf;
    const start = sink.len;
    let p = start + 4;
    b[p++] = flags;
    p = writeUvarint(b, p, bodyLen);
    if (flags & FLAG_ABS) {
      p = writeUvarint(b, p, seq);
      p = writeUvarint(b, p, zigzag(timeMs));
    } else {
      if (!(flags & FLAG_SEQ_NEXT)) p = writeUvarint(b, p, seq - this.prev!.seq);
      if (!(flags & FLAG_DT_SAME)) p = writeUvarint(b, p, zigzag(dt));
    }
    b.set(payload, p);
    p += payload.length;
    const crc = maskCrc(crc32c(b, start + 4, p));
    b[start] = crc & 0xff;
    b[start + 1] = (crc >>> 8) & 0xff;
    b[start + 2] = (crc >>> 16) & 0xff;
    b[start + 3] = crc >>> 24;
    sink.len = p;
    this.lastFrameStart = this.offset;
    this.offset += frameLen;
    this.lastFrameEnd = this.offset;
    this.prev = { seq, timeMs, dt: flags & FLAG_ABS ? null : dt };
    if (this.offset % BLOCK_BYTES === 0) this.prev = null; // the frame filled its block exactly
    else if (BLOCK_BYTES - (this.offset % BLOCK_BYTES) < FRAME_MIN_BYTES) {
      // Too little room left for any frame: pad now so the next frame starts a block.
      const rest = BLOCK_BYTES - (this.offset % BLOCK_BYTES);
      sink.zeros(rest);
      this.offset += rest;
      this.prev = null;
    }
    return fresh;
  }

  get deltaState(): DeltaState | null {
    return this.prev;
  }
}

/** One decoded frame; reused between callbacks (copy what you keep). */
export interface FrameView {
  seq: number;
  timeMs: number;
  kind: Kind;
  /** payload = buf[payloadStart, payloadEnd) */
  payloadStart: number;
  payloadEnd: number;
  /** file offsets of the whole frame */
  frameStart: number;
  frameEnd: number;
  /** the delta state after this frame (for a writer continuing the block) */
  dt: number | null;
}

/** Why the rest of a block was dropped. */
export interface BlockCorruption {
  /** file offset of the first byte that could not be decoded, and the block end */
  offset: number;
  end: number;
  reason: string;
}

/**
 * Decodes the frames of one block, buf[start, end) where `end` is the block end or the end of
 * the data (a partial last block). Calls onFrame for each valid frame in order; returns the
 * corruption that stopped it, or null when the block decoded to its end (or to zero padding).
 * Caps every length read from disk by the block; never trusts a frame whose CRC fails.
 */
export function decodeBlock(
  buf: Uint8Array,
  start: number,
  end: number,
  onFrame: (f: FrameView) => void,
): BlockCorruption | null {
  const v: VarintRead = { value: 0, next: 0 };
  const f: FrameView = { seq: 0, timeMs: 0, kind: 'data', payloadStart: 0, payloadEnd: 0, frameStart: 0, frameEnd: 0, dt: null };
  let prev: DeltaState | null = null;
  let p = start;
  const bad = (reason: string): BlockCorruption => ({ offset: p, end, reason });
  while (end - p >= FRAME_MIN_BYTES) {
    const type = buf[p + 4]!;
    const stored = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
    if (type === 0 && stored === 0) {
      // Zero padding (or never-written space): the rest of the block must be zero too.
      for (let i = p; i < end; i++) if (buf[i] !== 0) return bad('non-zero bytes after padding');
      return null;
    }
    if (type & TYPE_RESERVED) return bad(`invalid frame type 0x${type.toString(16)}`);
    const kindBits = type & KIND_MASK;
    if (kindBits !== KIND_DATA && kindBits !== KIND_GAP) return bad(`invalid frame kind ${kindBits}`);
    readUvarint(buf, p + 5, end, v);
    if (v.next < 0) return bad('cut-off frame length');
    const bodyStart = v.next;
    const bodyEnd = bodyStart + v.value;
    if (v.value > MAX_BODY || bodyEnd > end) return bad(`frame length ${v.value} runs past the block`);
    if (unmaskCrc(stored) !== crc32c(buf, p + 4, bodyEnd)) return bad('CRC mismatch');
    // The CRC holds: decode seq and time.
    let q = bodyStart;
    let seq: number;
    let timeMs: number;
    let dt: number | null;
    if (type & FLAG_ABS) {
      readUvarint(buf, q, bodyEnd, v);
      if (v.next < 0) return bad('bad seq');
      seq = v.value;
      q = v.next;
      readUvarint(buf, q, bodyEnd, v);
      if (v.next < 0) return bad('bad time');
      timeMs = unzigzag(v.value);
      q = v.next;
      dt = null;
    } else {
      if (prev === null) return bad('block does not start with an absolute frame');
      if (type & FLAG_SEQ_NEXT) seq = prev.seq + 1;
      else {
        readUvarint(buf, q, bodyEnd, v);
        if (v.next < 0 || v.value === 0) return bad('bad seq delta');
        seq = prev.seq + v.value;
        q = v.next;
      }
      if (type & FLAG_DT_SAME) {
        if (prev.dt === null) return bad('time delta repeats nothing');
        dt = prev.dt;
      } else {
        readUvarint(buf, q, bodyEnd, v);
        if (v.next < 0) return bad('bad time delta');
        dt = unzigzag(v.value);
        q = v.next;
      }
      timeMs = prev.timeMs + dt;
    }
    if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(timeMs)) return bad('seq or time out of range');
    f.seq = seq;
    f.timeMs = timeMs;
    f.kind = kindBits === KIND_GAP ? 'gap' : 'data';
    f.payloadStart = q;
    f.payloadEnd = bodyEnd;
    f.frameStart = p;
    f.frameEnd = bodyEnd;
    f.dt = dt;
    onFrame(f);
    prev = { seq, timeMs, dt };
    p = bodyEnd;
  }
  // Fewer than FRAME_MIN_BYTES left: the writer zero-pads these.
  for (let i = p; i < end; i++) if (buf[i] !== 0) return bad('non-zero bytes in the block tail');
  return null;
}
