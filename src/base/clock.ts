/**
 * Time as the rest of the code sees it. Protocol cores and filters take a Clock
 * (or plain millisecond timestamps) instead of calling Date.now(), so tests can
 * drive them deterministically with a ManualClock.
 */
export interface Clock {
  /** Monotonic milliseconds (never jumps back when NTP corrects the wall clock). */
  now(): number;
  /** Wall-clock milliseconds since the epoch; may be wrong on a Pi without RTC. */
  wallNow(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
};

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(
    private t = 0,
    private wallOffset = 1_600_000_000_000,
  ) {}
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.t + this.wallOffset;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
