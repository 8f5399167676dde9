import type { TrackItem } from '../store/query.js';

/** Joins small strings into chunks of about `size` characters (one write per chunk, not per row). */
export class Chunker {
  private parts: string[] = [];
  private length = 0;
  constructor(private readonly size = 64 * 1024) {}

  /** Adds `s`; returns a full chunk when one is ready, else null. */
  push(s: string): string | null {
    this.parts.push(s);
    this.length += s.length;
    return this.length >= this.size ? this.take() : null;
  }

  /** What is left (possibly ''). */
  take(): string {
    const out = this.parts.join('');
    this.parts = [];
    this.length = 0;
    return out;
  }
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let dayStart = NaN;
let dayPrefix = '';

/**
 * A time as ISO 8601 UTC with milliseconds, as Date#toISOString writes it. The
 * date part is kept for the day of the last call (a track is mostly one day), the
 * clock part is arithmetic: a third of toISOString's cost per record.
 */
export function iso(ms: number): string {
  if (!(ms >= dayStart && ms < dayStart + DAY_MS)) {
    if (!Number.isSafeInteger(ms) || ms < 0) return new Date(ms).toISOString();
    dayStart = ms - (ms % DAY_MS);
    dayPrefix = new Date(dayStart).toISOString().slice(0, -13);
  }
  let r = ms - dayStart;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const s = Math.floor(r / 1000);
  const f = r - s * 1000;
  return `${dayPrefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${f < 10 ? '00' : f < 100 ? '0' : ''}${f}Z`;
}

/** One document being written: its head, each item's text (in time order), its tail. */
export interface TrackEncoder {
  head(): string;
  item(item: TrackItem): string;
  tail(): string;
}

export interface FormatSpec {
  contentType: string;
  /** File name extension (no dot). */
  extension: string;
  encoder(meta: { device: string }): TrackEncoder;
}
