/**
 * NMEA 0183 framing: bytes in, checked sentence bodies out.
 *
 * The problem (as gpsd's packet.c puts it): reads split sentences anywhere, a receiver
 * powers up mid-sentence, UBX binary frames and NUL runs sit between sentences, some
 * lines end in CR, some in LF, some in nothing because the next `$` follows at once.
 * The policy: step one byte at a time; a frame starts at `$`; any byte that cannot be
 * part of a sentence resets to the ground state and the partial frame is counted, never
 * thrown. The buffer is fixed (MAX_FRAME bytes): an over-long line is counted and skipped.
 *
 * A frame is emitted only when it ends in `*hh` and hh is the XOR of the body; the body
 * (between `$` and `*`) goes to the callback as a latin1 string.
 */

/** NMEA allows 82 characters including `$` and CR LF; real receivers exceed it a little
 * (u-blox PUBX, GSV with signal ids), so accept up to 160 between `$` and the line end. */
export const MAX_FRAME = 160;

export interface LexerStats {
  /** Frames with a correct checksum, handed to the callback. */
  frames: number;
  /** Complete lines whose checksum is wrong or malformed (`*` not followed by two hex digits). */
  badChecksum: number;
  /** Complete lines without any checksum. */
  noChecksum: number;
  /** Frames cut off by a new `$`, a control or binary byte, or the end of input. */
  truncated: number;
  /** Frames longer than MAX_FRAME, skipped to the next line. */
  overlong: number;
  /** Bytes outside any frame (binary protocols, NUL fill, line noise). */
  garbageBytes: number;
}

export function emptyLexerStats(): LexerStats {
  return { frames: 0, badChecksum: 0, noChecksum: 0, truncated: 0, overlong: 0, garbageBytes: 0 };
}

/** Lines the lexer saw, good or bad. */
export function linesSeen(s: LexerStats): number {
  return s.frames + s.badChecksum + s.noChecksum + s.truncated + s.overlong;
}

const DOLLAR = 0x24;
const STAR = 0x2a;
const CR = 0x0d;
const LF = 0x0a;

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

const enum State {
  Ground,
  Frame,
  /** Over-long frame: discard until the next line end or `$`. */
  Skip,
}

export class NmeaLexer {
  readonly stats: LexerStats = emptyLexerStats();
  private readonly buf = Buffer.allocUnsafe(MAX_FRAME);
  private len = 0;
  private state = State.Ground;
  private xor = 0;
  private star = -1;
  private xorAtStar = 0;

  /** Feeds bytes; calls onFrame(body) for each sentence with a correct checksum. Never throws. */
  push(input: Uint8Array, onFrame: (body: string) => void): void {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const n = chunk.length;
    // Where the open frame's body starts in this chunk; -1: its first bytes are in this.buf
    // (it began in an earlier chunk). Frames inside one chunk are decoded without a copy.
    let from = -1;
    let i = 0;
    while (i < n) {
      if (this.state === State.Frame) {
        let len = this.len;
        let xor = this.xor;
        let star = this.star;
        let xorAtStar = this.xorAtStar;
        const scanStart = i;
        let b = 0;
        for (; i < n; i++) {
          b = chunk[i]!;
          if (b < 0x20 || b > 0x7e || b === DOLLAR || len === MAX_FRAME) break;
          if (b === STAR) {
            star = len;
            xorAtStar = xor;
          }
          xor ^= b;
          len++;
        }
        if (from < 0) chunk.copy(this.buf, this.len, scanStart, i);
        this.len = len;
        this.xor = xor;
        this.star = star;
        this.xorAtStar = xorAtStar;
        if (i === n) {
          // The frame goes on in the next chunk: keep its bytes.
          if (from >= 0) chunk.copy(this.buf, 0, from, n);
          return;
        }
        if (b >= 0x20 && b <= 0x7e && b !== DOLLAR) {
          // len === MAX_FRAME: over-long; skip to the line end (this byte included).
          this.stats.overlong++;
          this.state = State.Skip;
          continue;
        }
        i++;
        if (b === CR || b === LF) {
          this.finish(from < 0 ? this.buf : chunk, from < 0 ? 0 : from, onFrame);
          this.state = State.Ground;
        } else if (b === DOLLAR) {
          // A new sentence begins. If the current one is complete up to its checksum,
          // it only lacked its line end (concatenated sentences); otherwise it was cut off.
          if (star >= 0 && star === len - 3) this.finish(from < 0 ? this.buf : chunk, from < 0 ? 0 : from, onFrame);
          else this.stats.truncated++;
          this.begin();
          from = i;
        } else {
          // NUL, binary, other control bytes: the frame is broken.
          this.stats.truncated++;
          this.stats.garbageBytes++;
          this.state = State.Ground;
        }
        continue;
      }
      const b = chunk[i]!;
      i++;
      if (b === DOLLAR) {
        this.begin();
        from = i;
      } else if (this.state === State.Skip) {
        if (b === CR || b === LF) this.state = State.Ground;
      } else if (b !== CR && b !== LF) {
        this.stats.garbageBytes++;
      }
    }
  }

  /** End of input: a frame still open is counted as truncated. */
  end(): void {
    if (this.state === State.Frame) this.stats.truncated++;
    this.state = State.Ground;
  }

  private begin(): void {
    this.state = State.Frame;
    this.len = 0;
    this.xor = 0;
    this.star = -1;
  }

  /** The frame's body is src[at, at + this.len). */
  private finish(src: Buffer, at: number, onFrame: (body: string) => void): void {
    const star = this.star;
    if (star < 0) {
      if (this.len > 0) this.stats.noChecksum++;
      else this.stats.truncated++;
      return;
    }
    if (star !== this.len - 3) {
      this.stats.badChecksum++;
      return;
    }
    const hi = hexVal(src[at + star + 1]!);
    const lo = hexVal(src[at + star + 2]!);
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== this.xorAtStar) {
      this.stats.badChecksum++;
      return;
    }
    this.stats.frames++;
    onFrame(src.toString('latin1', at, at + star));
  }
}

/** The two hex digits of an NMEA checksum for a body (between `$` and `*`). */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** A full sentence line for a body: `$BODY*hh\r\n`. */
export function nmeaLine(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}
