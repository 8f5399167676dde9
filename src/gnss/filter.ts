import type { Infer } from '../base/spec.js';
import type { samplingSpec } from './config-spec.js';
import type { Fix } from './fix.js';

export type SamplingRules = Infer<typeof samplingSpec>;

export type TakeReason = 'first' | 'period' | 'distance' | 'heading' | 'speed' | 'moving' | 'heartbeat' | 'resync';

/** Tolerance on GNSS-time comparisons: receivers stamp epochs to 10 ms. */
const EPS_MS = 10;
const EARTH_M = 6_371_008.8;

/** Great-circle distance in metres. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/**
 * The acquisition filter, sans-IO: fed fixes (GNSS time only), says which to keep.
 *
 * Moving: a fix is taken when any trigger fires, each measured against the last TAKEN
 * record (not the previous fix), so the result does not depend on the input rate:
 *  - period:   minPeriodS of GNSS time since the last record;
 *  - distance: minDistanceM travelled (great circle);
 *  - heading:  course changed by minHeadingDeg, only above headingMinSpeedKmh;
 *  - speed:    speed changed by minSpeedChangeKmh.
 * Stationary (below stationarySpeedKmh for stationaryAfterS): only a heartbeat every
 * heartbeatS; the first fix at speed again is taken at once ('moving').
 *
 * What min period means at 10 Hz: it is GNSS time, not a count of fixes. The record is
 * the first fix at least minPeriodS (less 10 ms) after the last one, so 10 Hz input with
 * minPeriodS 1 gives exactly one record per second, on whole epochs, the same as 1 Hz
 * input. The event triggers could fire at the input rate (a roundabout at 10 Hz would
 * give a record per 100 ms once the heading drifts past the threshold from the last
 * record); minIntervalS (default 0.5 s) is the floor between records they may take.
 * Fixes without a position (mode 1) are never taken; a fix older than the last record
 * (receiver reset, replayed capture) restarts the filter ('resync').
 */
export class AcquisitionFilter {
  private last: { t: number; lat: number; lon: number; course: number | null; kmh: number } | null = null;
  private slowSince: number | null = null;
  private stationary = false;
  /** Ignition input says off: heartbeat only, whatever GNSS speed noise says. */
  private ignitionOff = false;
  private takeNext = false;

  constructor(private readonly r: SamplingRules) {}

  /**
   * The ignition input (where the board has one) overrides the speed heuristic:
   * off puts the vehicle in the stationary heartbeat mode at once; on returns to the
   * moving rules and takes the next fix ('moving').
   */
  setIgnition(on: boolean): void {
    if (on === !this.ignitionOff) return;
    this.ignitionOff = !on;
    this.slowSince = null;
    this.stationary = !on;
    this.takeNext = on;
  }

  get isStationary(): boolean {
    return this.stationary;
  }

  /**
   * While stationary: GNSS time (ms) at which the next heartbeat record is due, given the
   * latest fix's time; null while moving or before the first record.
   */
  nextHeartbeatMs(): number | null {
    if (!this.stationary || !this.last) return null;
    return this.last.t + this.r.heartbeatS * 1000;
  }

  offer(fix: Fix): TakeReason | null {
    if (fix.mode === 1 || fix.lat === null || fix.lon === null) return null;
    const t = fix.timeMs;
    const kmh = (fix.speed ?? 0) * 3.6;
    let reason: TakeReason | null = null;
    if (this.last && t < this.last.t - EPS_MS) {
      this.last = null;
      this.slowSince = null;
      this.stationary = false;
      reason = 'resync';
    }
    if (this.ignitionOff) {
      this.stationary = true;
    } else if (this.takeNext) {
      this.takeNext = false;
      reason ??= 'moving';
    } else if (kmh < this.r.stationarySpeedKmh) {
      this.slowSince ??= t;
      if (!this.stationary && t - this.slowSince + EPS_MS >= this.r.stationaryAfterS * 1000) this.stationary = true;
    } else {
      this.slowSince = null;
      if (this.stationary) {
        this.stationary = false;
        reason = 'moving';
      }
    }
    const last = this.last;
    if (reason === null) {
      if (last === null) reason = 'first';
      else {
        const dt = t - last.t;
        if (dt <= 0) return null;
        if (this.stationary) {
          if (dt + EPS_MS >= this.r.heartbeatS * 1000) reason = 'heartbeat';
        } else if (dt + EPS_MS >= this.r.minPeriodS * 1000) reason = 'period';
        else if (dt + EPS_MS >= this.r.minIntervalS * 1000) {
          if (distanceM(last.lat, last.lon, fix.lat, fix.lon) >= this.r.minDistanceM) reason = 'distance';
          else if (kmh >= this.r.headingMinSpeedKmh && fix.course !== null && last.course !== null && angleDiff(fix.course, last.course) >= this.r.minHeadingDeg) reason = 'heading';
          else if (Math.abs(kmh - last.kmh) >= this.r.minSpeedChangeKmh) reason = 'speed';
        }
      }
    }
    if (reason !== null) this.last = { t, lat: fix.lat, lon: fix.lon, course: fix.course, kmh };
    return reason;
  }
}
