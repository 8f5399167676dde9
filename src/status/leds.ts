import type { Gpio, GpioOutput, Level } from '../hal/gpio.js';
import type { Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import { errorMessage } from '../base/errors.js';

export type LedName = 'gnss' | 'link' | 'fault';
export type Pattern = 'off' | 'on' | 'blink' | 'slow' | 'fast';

export const TICK_MS = 100;

/** Level of a pattern at tick n (100 ms ticks). One row per pattern. */
export const PATTERNS: Record<Pattern, (n: number) => Level> = {
  off: () => 0,
  on: () => 1,
  blink: (n) => (n % 10 < 5 ? 1 : 0), // 1 Hz, 500 ms on / 500 ms off
  slow: (n) => (n % 20 < 2 ? 1 : 0), // 200 ms flash every 2 s
  fast: (n) => (n % 2 === 0 ? 1 : 0), // 5 Hz
};

/** What each LED shows for the agent's state. */
export function patternsFor(s: StatusBoard): Record<LedName, Pattern> {
  return {
    gnss: s.gnss === 'fix' ? 'on' : s.gnss === 'no-fix' ? 'blink' : 'off',
    link: s.link === 'online' ? 'on' : s.link === 'offline' ? 'slow' : s.link === 'connecting' ? 'fast' : 'off',
    fault: s.faulted ? 'on' : 'off',
  };
}

export interface LedLines {
  gnss?: { line: number; activeLow: boolean };
  link?: { line: number; activeLow: boolean };
  fault?: { line: number; activeLow: boolean };
}

/**
 * Drives the status LEDs from the StatusBoard with one timer, which runs only while
 * some LED blinks; a line is written only when its level changes. `stop()` turns
 * every LED off and releases the lines. A LED whose line cannot be claimed is
 * reported once and skipped; the others still work.
 */
export class StatusLeds {
  private readonly outs = new Map<LedName, GpioOutput>();
  private readonly levels = new Map<LedName, Level>();
  private patterns: Record<LedName, Pattern> = { gnss: 'off', link: 'off', fault: 'off' };
  private override: Partial<Record<LedName, Pattern>> = {};
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private readonly onChange = (): void => this.refresh();
  /** Lines written (tests, benchmarks). */
  writes = 0;

  constructor(
    gpio: Gpio,
    lines: LedLines,
    private readonly status: StatusBoard | null,
    log: Logger,
  ) {
    for (const name of ['gnss', 'link', 'fault'] as LedName[]) {
      const l = lines[name];
      if (!l) continue;
      try {
        this.outs.set(name, gpio.output(l.line, { initial: 0, activeLow: l.activeLow }));
        this.levels.set(name, 0);
      } catch (err) {
        log.error(`LED ${name} unavailable: ${errorMessage(err)}`);
        status?.setFault(`led:${name}`, errorMessage(err));
      }
    }
    status?.on('change', this.onChange);
    this.refresh();
  }

  /** Forces a pattern (bench work, self-test); null returns the LED to the StatusBoard. */
  set(name: LedName, p: Pattern | null): void {
    if (p === null) delete this.override[name];
    else this.override[name] = p;
    this.refresh();
  }

  current(): Record<LedName, Pattern> {
    return { ...this.patterns };
  }

  private refresh(): void {
    const base = this.status ? patternsFor(this.status) : { gnss: 'off', link: 'off', fault: 'off' } as Record<LedName, Pattern>;
    this.patterns = { ...base, ...this.override };
    this.apply();
    const blinking = Object.values(this.patterns).some((p) => p !== 'on' && p !== 'off');
    if (blinking && !this.timer) {
      this.timer = setInterval(() => {
        this.tick++;
        this.apply();
      }, TICK_MS);
      this.timer.unref?.();
    } else if (!blinking && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private apply(): void {
    for (const [name, out] of this.outs) this.write(name, out, PATTERNS[this.patterns[name]](this.tick));
  }

  private write(name: LedName, out: GpioOutput, v: Level): void {
    if (this.levels.get(name) === v) return;
    try {
      out.write(v);
      this.levels.set(name, v);
      this.writes++;
    } catch {
      // a LED that fails to write is not worth a crash; the next change retries
    }
  }

  /** All LEDs off, lines released. */
  stop(): void {
    this.status?.off('change', this.onChange);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const [name, out] of this.outs) {
      this.levels.delete(name);
      this.write(name, out, 0);
      out.close();
    }
    this.outs.clear();
  }
}
