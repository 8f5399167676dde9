import { EventEmitter } from 'node:events';
import type { Gpio, GpioInput } from '../hal/gpio.js';
import type { Logger } from '../base/log.js';
import { StateLog } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';

/**
 * Debounce core, fed raw levels with their times: the stable state changes only
 * after the raw level has held for `debounceMs` (ignores cranking dips and
 * contact bounce). No timers or I/O here.
 */
export class Debouncer {
  private raw: boolean;
  private rawSince: number;
  constructor(
    private stable: boolean,
    private readonly debounceMs: number,
    t: number,
  ) {
    this.raw = stable;
    this.rawSince = t;
  }
  get state(): boolean {
    return this.stable;
  }
  feed(level: boolean, t: number): void {
    if (level !== this.raw) {
      this.raw = level;
      this.rawSince = t;
    }
  }
  /** The new stable state if it changed at `t`, else null. */
  poll(t: number): boolean | null {
    if (this.raw !== this.stable && t - this.rawSince >= this.debounceMs) {
      this.stable = this.raw;
      return this.stable;
    }
    return null;
  }
  /** When poll() should next be called for a pending change, or null. */
  pendingUntil(): number | null {
    return this.raw !== this.stable ? this.rawSince + this.debounceMs : null;
  }
}

/**
 * The ignition input: edge-driven with a 1 s level poll as a backstop (sysfs edge
 * delivery was reported unreliable on some Pi 5 kernels). Emits 'ignition'(on)
 * after debouncing; logs each change once; publishes `ignition` to the StatusBoard.
 */
export class Ignition extends EventEmitter {
  private readonly input: GpioInput;
  private readonly deb: Debouncer;
  private readonly stateLog: StateLog<'on' | 'off'>;
  private settle: NodeJS.Timeout | null = null;
  private readonly poller: NodeJS.Timeout;

  constructor(
    gpio: Gpio,
    cfg: { line: number; activeLow: boolean; debounceMs: number },
    private readonly clock: Clock,
    log: Logger,
    private readonly status?: StatusBoard,
  ) {
    super();
    this.input = gpio.input(cfg.line, { edge: 'both', activeLow: cfg.activeLow });
    this.deb = new Debouncer(this.input.read() === 1, cfg.debounceMs, clock.now());
    this.stateLog = new StateLog(log, 'ignition');
    this.stateLog.set(this.deb.state ? 'on' : 'off');
    status?.setDetail('ignition', this.deb.state);
    this.input.watch((v) => this.observe(v === 1));
    this.poller = setInterval(() => this.observe(this.safeRead()), 1000);
    this.poller.unref?.();
  }

  get state(): boolean {
    return this.deb.state;
  }

  private safeRead(): boolean {
    try {
      return this.input.read() === 1;
    } catch {
      return this.deb.state;
    }
  }

  private observe(level: boolean): void {
    this.deb.feed(level, this.clock.now());
    this.check();
  }

  private check(): void {
    const changed = this.deb.poll(this.clock.now());
    if (changed !== null) {
      this.stateLog.set(changed ? 'on' : 'off');
      this.status?.setDetail('ignition', changed);
      this.emit('ignition', changed);
    }
    const until = this.deb.pendingUntil();
    if (until !== null && !this.settle) {
      this.settle = setTimeout(() => {
        this.settle = null;
        this.check();
      }, Math.max(1, until - this.clock.now()));
    }
  }

  stop(): void {
    clearInterval(this.poller);
    if (this.settle) clearTimeout(this.settle);
    this.settle = null;
    this.input.close();
  }
}
