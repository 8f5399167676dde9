/**
 * Log lines an attacker cannot flood. Each reason (a refused handshake's error, why a
 * datagram was dropped) is logged at once the first time, then at most once per window
 * (10 s) as a summary with the count and a sample source. At most `maxReasons` reasons
 * are tracked per window; more count under 'other reasons' (a peer can vary the text,
 * e.g. with the names in its certificates). Reasons and samples are cut to 200
 * characters with control characters replaced, so a peer cannot forge log lines.
 * Exact numbers belong in stats; this is only what the journal sees.
 */
import type { Clock } from './clock.js';

export interface LogSummaryOptions {
  /** Where a line goes (e.g. `(l) => log.warn(l)`). */
  emit: (line: string) => void;
  /** What happened, the start of every line: 'handshake refused'. */
  what: string;
  clock: Pick<Clock, 'now'>;
  windowMs?: number;
  maxReasons?: number;
}

interface Window {
  start: number;
  count: number;
  sample: string;
}

export const OTHER_REASONS = 'other reasons';
const MAX_TEXT = 200;

export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}...` : t;
}

export class LogSummary {
  private readonly windows = new Map<string, Window>();
  private readonly windowMs: number;
  private readonly maxReasons: number;
  /** When the oldest window ends (so note() scans the windows only then). */
  private due = Infinity;

  constructor(private readonly o: LogSummaryOptions) {
    this.windowMs = o.windowMs ?? 10_000;
    this.maxReasons = o.maxReasons ?? 32;
  }

  /** One event of `reason`, `sample` naming its source (e.g. 'from 192.0.2.7:4433'). */
  note(reason: string, sample: string): void {
    this.roll(this.o.clock.now());
    let key = clean(reason);
    if (!this.windows.has(key) && this.windows.size >= this.maxReasons) {
      sample = `${key}, ${sample}`;
      key = OTHER_REASONS;
    }
    const w = this.windows.get(key);
    if (w) {
      w.count++;
      w.sample = sample;
      return;
    }
    const now = this.o.clock.now();
    this.windows.set(key, { start: now, count: 0, sample });
    this.due = Math.min(this.due, now + this.windowMs);
    this.o.emit(`${this.o.what}: ${key} (${clean(sample)})`);
  }

  /**
   * Reports windows that have ended (call about once a window; note() does it too).
   * A reason still going on gets a new silent window: one line per window while it
   * lasts. A quiet one is forgotten, so its next event is logged at once again.
   */
  flush(): void {
    this.roll(this.o.clock.now());
  }

  private roll(now: number): void {
    if (now < this.due) return;
    this.due = Infinity;
    for (const [key, w] of this.windows) {
      if (now - w.start < this.windowMs) {
        this.due = Math.min(this.due, w.start + this.windowMs);
        continue;
      }
      if (w.count === 0) {
        this.windows.delete(key);
        continue;
      }
      this.report(key, w);
      w.start = now;
      w.count = 0;
      this.due = Math.min(this.due, now + this.windowMs);
    }
  }

  /** Reports every count not yet logged (on shutdown). */
  close(): void {
    for (const [key, w] of this.windows) this.report(key, w);
    this.windows.clear();
    this.due = Infinity;
  }

  private report(key: string, w: Window): void {
    if (w.count === 0) return;
    const s = Math.round((this.o.clock.now() - w.start) / 1000);
    this.o.emit(`${this.o.what}: ${key}: ${w.count} more in the last ${s} s (latest ${clean(w.sample)})`);
  }
}
