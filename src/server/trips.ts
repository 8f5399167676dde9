/**
 * Trip and stop detection over one vehicle's positions in time order, sans-IO: the
 * caller pushes points and collects what each push completes; nothing here reads a
 * database or a clock. Memory is constant (the open trip's running sums), so a month
 * of 1 Hz data needs no buffering.
 *
 * A point is moving when its speed (or, if the fix has none, the speed from the
 * previous point) is at least `speedThresholdMps`, unless the ignition is known to
 * be off (a parked vehicle whose GNSS drifts is still parked). A trip runs from the
 * first moving point to the last one before the vehicle stood still for
 * `minParkingMs`, or before the data stopped for `minNoDataMs`. A trip shorter than
 * `minTripMs` AND `minTripM` is noise (a car moved in a yard): the stop around it goes
 * on. A stop is the time between two trips (or from the first point, or to the last)
 * of at least `minParkingMs`.
 */

export interface TripOptions {
  /** A trip must last this long or cover minTripM (default 300 s). */
  minTripMs: number;
  /** ... or cover this distance (default 500 m). */
  minTripM: number;
  /** Standing still this long ends a trip (default 300 s). */
  minParkingMs: number;
  /** No data for this long ends a trip at the last point before the silence (default 1 h). */
  minNoDataMs: number;
  /** Slower than this is standing still (default 1 knot, 0.514 m/s: above GNSS speed noise of a parked receiver). */
  speedThresholdMps: number;
}

/** Traccar's documented report defaults (minimal trip 300 s or 500 m, minimal parking 300 s, no data 1 h). */
export const DEFAULT_TRIP_OPTIONS: TripOptions = { minTripMs: 300_000, minTripM: 500, minParkingMs: 300_000, minNoDataMs: 3_600_000, speedThresholdMps: 0.514 };

export interface TripPoint {
  timeMs: number;
  lat: number;
  lon: number;
  speedMps: number | null;
  ignition: boolean | null;
  fuelPct: number | null;
}

export interface Place {
  timeMs: number;
  lat: number;
  lon: number;
}

export interface Trip {
  kind: 'trip';
  start: Place;
  end: Place;
  durationMs: number;
  distanceM: number;
  maxSpeedMps: number;
  /** distance / duration */
  avgSpeedMps: number;
  /** Fuel level at the start minus at the end, percent of the tank; null unless both are known. */
  fuelUsedPct: number | null;
  /** The data ended while the vehicle was still on this trip. */
  ongoing: boolean;
}

export interface Stop {
  kind: 'stop';
  /** Arrival (place and time). */
  start: Place;
  /** Departure, or the last point if the vehicle is still there. */
  end: Place;
  durationMs: number;
  ongoing: boolean;
}

export type TripSegment = Trip | Stop;

const EARTH_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres (haversine on the mean Earth radius). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

const place = (p: TripPoint): Place => ({ timeMs: p.timeMs, lat: p.lat, lon: p.lon });

interface OpenTrip {
  start: TripPoint;
  distanceM: number;
  lastMoving: TripPoint;
  distanceAtLastMoving: number;
  maxSpeedMps: number;
  fuelStart: number | null;
  fuelAtLastMoving: number | null;
}

export class TripDetector {
  private readonly o: TripOptions;
  private prev: TripPoint | null = null;
  private trip: OpenTrip | null = null;
  /** Where the vehicle has been parked since (the end of the last trip, or the first point). */
  private parked: TripPoint | null = null;

  constructor(opts: Partial<TripOptions> = {}) {
    this.o = { ...DEFAULT_TRIP_OPTIONS, ...opts };
  }

  /** Takes the next point (time order; an older or equal time is ignored) and returns the trips and stops it completes. */
  push(p: TripPoint): TripSegment[] {
    const out: TripSegment[] = [];
    const prev = this.prev;
    if (prev && p.timeMs <= prev.timeMs) return out;
    this.prev = p;
    if (!prev) {
      if (this.moving(p, null)) this.startTrip(p);
      else this.parked = p;
      return out;
    }
    const silent = p.timeMs - prev.timeMs >= this.o.minNoDataMs;
    if (silent && this.trip) this.endTrip(out);
    const d = silent ? 0 : distanceM(prev, p);
    const t = this.trip;
    if (this.moving(p, silent ? null : { prev, d })) {
      if (!t) {
        this.startTrip(p);
        return out;
      }
      t.distanceM += d;
      t.lastMoving = p;
      t.distanceAtLastMoving = t.distanceM;
      t.maxSpeedMps = Math.max(t.maxSpeedMps, this.speedOf(p, { prev, d }));
      if (p.fuelPct !== null) {
        t.fuelStart ??= p.fuelPct;
        t.fuelAtLastMoving = p.fuelPct;
      }
    } else if (t) {
      t.distanceM += d;
      if (p.timeMs - t.lastMoving.timeMs >= this.o.minParkingMs) this.endTrip(out);
    } else if (!this.parked) this.parked = p;
    return out;
  }

  /** The end of the data: what is still open (a trip under way, the current stop), marked ongoing. */
  finish(): TripSegment[] {
    const out: TripSegment[] = [];
    const last = this.prev;
    if (this.trip) this.endTrip(out, true);
    if (last && this.parked && last.timeMs - this.parked.timeMs >= this.o.minParkingMs && this.parked.timeMs < last.timeMs)
      out.push({ kind: 'stop', start: place(this.parked), end: place(last), durationMs: last.timeMs - this.parked.timeMs, ongoing: true });
    this.prev = this.trip = this.parked = null;
    return out;
  }

  private speedOf(p: TripPoint, step: { prev: TripPoint; d: number } | null): number {
    if (p.speedMps !== null) return p.speedMps;
    return step ? step.d / ((p.timeMs - step.prev.timeMs) / 1000) : 0;
  }

  private moving(p: TripPoint, step: { prev: TripPoint; d: number } | null): boolean {
    if (p.ignition === false) return false;
    return this.speedOf(p, step) >= this.o.speedThresholdMps;
  }

  private startTrip(p: TripPoint): void {
    this.trip = { start: p, distanceM: 0, lastMoving: p, distanceAtLastMoving: 0, maxSpeedMps: this.speedOf(p, null), fuelStart: p.fuelPct, fuelAtLastMoving: p.fuelPct };
  }

  /** Closes the open trip at its last moving point: kept (after the stop before it) if long enough, else folded into the stop. */
  private endTrip(out: TripSegment[], atEnd = false): void {
    const t = this.trip!;
    this.trip = null;
    const end = t.lastMoving;
    const durationMs = end.timeMs - t.start.timeMs;
    const dist = t.distanceAtLastMoving;
    if (durationMs < this.o.minTripMs && dist < this.o.minTripM) {
      this.parked ??= t.start;
      return;
    }
    if (this.parked && t.start.timeMs - this.parked.timeMs >= this.o.minParkingMs)
      out.push({ kind: 'stop', start: place(this.parked), end: place(t.start), durationMs: t.start.timeMs - this.parked.timeMs, ongoing: false });
    const fuelUsedPct = t.fuelStart !== null && t.fuelAtLastMoving !== null ? Math.round((t.fuelStart - t.fuelAtLastMoving) * 10) / 10 : null;
    const ongoing = atEnd && this.prev !== null && this.prev.timeMs - end.timeMs < this.o.minParkingMs;
    out.push({ kind: 'trip', start: place(t.start), end: place(end), durationMs, distanceM: Math.round(dist * 10) / 10, maxSpeedMps: t.maxSpeedMps, avgSpeedMps: durationMs > 0 ? Math.round((dist / (durationMs / 1000)) * 1000) / 1000 : 0, fuelUsedPct, ongoing });
    this.parked = end;
  }
}
