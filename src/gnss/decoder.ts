import { EpochAssembler, type EpochStats } from './epoch.js';
import type { Fix } from './fix.js';
import { NmeaLexer, linesSeen, type LexerStats } from './lexer.js';
import { SENTENCES_BY_KEY, formatterKey } from './sentences/index.js';
import { FieldError } from './sentences/fields.js';

export interface DecoderStats extends LexerStats, EpochStats {
  /** Sentences with a good checksum whose fields did not decode (or too few fields). */
  malformed: number;
  /** Proprietary ($P...) sentences: counted and skipped. */
  proprietary: number;
  /** Sentences with a good checksum and a formatter not in the table: counted and skipped. */
  unknown: number;
  /** Sentences decoded from the table. */
  decoded: number;
  /** Decoder bugs caught (an exception other than FieldError); counted as malformed too. Always 0 in tests. */
  faults: number;
}

/**
 * The whole NMEA path, sans-IO: bytes in, Fix out (one per dated epoch, mode 1 when the
 * receiver has no position). Nothing throws out of it: every reject is counted in stats.
 */
export class NmeaDecoder {
  private readonly lexer = new NmeaLexer();
  private readonly epochs: EpochAssembler;
  private readonly counts = { malformed: 0, proprietary: 0, unknown: 0, decoded: 0, faults: 0 };
  private emit: (fix: Fix) => void = () => {};
  private readonly onFrame = (body: string): void => this.sentence(body);

  /** @param notBeforeMs pivot for GPS week-rollover correction (see date.ts). */
  constructor(notBeforeMs: number) {
    this.epochs = new EpochAssembler(notBeforeMs);
  }

  push(chunk: Uint8Array, emit: (fix: Fix) => void): void {
    this.emit = emit;
    this.lexer.push(chunk, this.onFrame);
  }

  /** Closes the open epoch (call when the line has gone idle). */
  flush(emit: (fix: Fix) => void): void {
    this.epochs.flush(emit);
  }

  /** End of input: counts a cut-off last line and closes the open epoch. */
  end(emit: (fix: Fix) => void): void {
    this.lexer.end();
    this.epochs.flush(emit);
  }

  get stats(): DecoderStats {
    return { ...this.lexer.stats, ...this.epochs.stats, ...this.counts };
  }

  /** Lines read, good or bad. */
  get lines(): number {
    return linesSeen(this.lexer.stats);
  }

  /** Frames with a good checksum so far (the health monitor's "data arrives" signal). */
  get goodFrames(): number {
    return this.lexer.stats.frames;
  }

  private sentence(body: string): void {
    if (body.charCodeAt(0) === 0x50 /* P */) {
      this.counts.proprietary++;
      return;
    }
    // Address: two talker letters and three formatter letters, then a comma. Look the
    // formatter up before splitting, so skipped sentences cost no allocation.
    if (!(body.length === 5 || body.charCodeAt(5) === 0x2c) || !isUpper(body, 5)) {
      // Not a talker+formatter address ($GSENSORD, $GPN from a cut line, ...).
      this.counts.unknown++;
      return;
    }
    const dec = SENTENCES_BY_KEY.get(formatterKey(body, 2));
    if (dec === undefined) {
      this.counts.unknown++;
      return;
    }
    const f = body.split(',');
    if (f.length < dec.minFields) {
      this.counts.malformed++;
      return;
    }
    let o;
    try {
      o = dec.decode(f);
    } catch (err) {
      this.counts.malformed++;
      if (!(err instanceof FieldError)) this.counts.faults++;
      return;
    }
    this.counts.decoded++;
    this.epochs.add(o, this.emit);
  }
}

function isUpper(s: string, n: number): boolean {
  if (s.length < n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x41 || c > 0x5a) return false;
  }
  return true;
}
