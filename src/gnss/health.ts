import type { GnssState } from '../base/status-board.js';
import type { Fix } from './fix.js';

/**
 * GNSS health, sans-IO (fed monotonic ms): "no-data" when no frame with a good checksum
 * arrived for `noDataMs` (an unplugged receiver gives no close event on Linux, only
 * silence), "fix" when the latest epoch had a position and is recent, else "no-fix".
 * When data resumes after silence, the state stays "no-data" until the first epoch
 * closes (or `settleMs` passes without one, e.g. a cold receiver sending sentences with
 * empty time fields), so a returning receiver goes no-data -> fix in one step.
 */
export class GnssHealth {
  private lastData = -Infinity;
  private dataSince = -Infinity;
  private lastEpoch = -Infinity;
  private lastHadFix = false;

  constructor(
    private readonly noDataMs: number,
    private readonly settleMs = 1000,
  ) {}

  /** Frames with a good checksum arrived at `now`. */
  data(now: number): void {
    if (now - this.lastData >= this.noDataMs) this.dataSince = now;
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
    if (this.lastEpoch >= this.dataSince) return this.lastHadFix && now - this.lastEpoch < this.noDataMs ? 'fix' : 'no-fix';
    return now - this.dataSince >= this.settleMs ? 'no-fix' : 'no-data';
  }
}
