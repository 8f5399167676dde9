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
  push(chunk: Uint8Array, onFrame: (body: string) => void): void {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (this.state === State.Frame) {
        if (b >= 0x20 && b <= 0x7e && b !== DOLLAR) {
          if (this.len === MAX_FRAME) {
            this.stats.overlong++;
            this.state = State.Skip;
            continue;
          }
          if (b === STAR) {
            this.star = this.len;
            this.xorAtStar = this.xor;
          }
          this.xor ^= b;
          this.buf[this.len++] = b;
          continue;
        }
        if (b === CR || b === LF) {
          this.finish(onFrame);
          this.state = State.Ground;
          continue;
        }
        if (b === DOLLAR) {
          // A new sentence begins. If the current one is complete up to its checksum,
          // it only lacked its line end (concatenated sentences); otherwise it was cut off.
          if (this.star >= 0 && this.star === this.len - 3) this.finish(onFrame);
          else this.stats.truncated++;
          this.begin();
          continue;
        }
        // NUL, binary, other control bytes: the frame is broken.
        this.stats.truncated++;
        this.stats.garbageBytes++;
        this.state = State.Ground;
        continue;
      }
      if (b === DOLLAR) {
        this.begin();
        continue;
      }
      if (this.state === State.Skip) {
        if (b === CR || b === LF) this.state = State.Ground;
        continue;
      }
      if (b !== CR && b !== LF) this.stats.garbageBytes++;
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

  private finish(onFrame: (body: string) => void): void {
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
    const hi = hexVal(this.buf[star + 1]!);
    const lo = hexVal(this.buf[star + 2]!);
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== this.xorAtStar) {
      this.stats.badChecksum++;
      return;
    }
    this.stats.frames++;
    onFrame(this.buf.toString('latin1', 0, star));
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
