import type { GnssState } from '../status/board.js';
import type { Fix } from './fix.js';

/**
 * GNSS health, sans-IO (fed monotonic ms): "no-data" when no frame with a good checksum
 * arrived for `noDataMs` (an unplugged receiver gives no close event on Linux, only
 * silence), "fix" when the latest epoch had a position and is recent, else "no-fix".
 */
export class GnssHealth {
  private lastData = -Infinity;
  private lastEpoch = -Infinity;
  private lastHadFix = false;

  constructor(private readonly noDataMs: number) {}

  /** Frames with a good checksum arrived at `now`. */
  data(now: number): void {
    this.lastData = now;
  }

  epoch(fix: Fix, now: number): void {
    this.lastEpoch = now;
    this.lastHadFix = fix.mode >= 2;
  }

  /** Milliseconds since the last good frame (Infinity: never). */
  silenceMs(now: number): number {
    return now - this.lastData;
  }

  state(now: number): GnssState {
    if (now - this.lastData >= this.noDataMs) return 'no-data';
    if (this.lastHadFix && now - this.lastEpoch < this.noDataMs) return 'fix';
    return 'no-fix';
  }
}
