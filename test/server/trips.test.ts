import { describe, expect, it } from 'vitest';
import { distanceM, TripDetector, type Trip, type TripPoint, type TripSegment, type Stop } from '../../src/server/trips.js';

const M_PER_DEG = (6_371_008.8 * Math.PI) / 180;
const T0 = Date.UTC(2026, 4, 1, 8, 0, 0);

/** A 1 Hz track built leg by leg: stand (speed 0 or a drift), or drive north at a speed. */
class Track {
  readonly points: TripPoint[] = [];
  private t = T0;
  private lat = 52.52;
  private readonly lon = 13.405;
  constructor(private fuel: number | null = null) {}
  stand(seconds: number, o: { speed?: number | null; ignition?: boolean | null } = {}): this {
    for (let i = 0; i < seconds; i++) this.point(o.speed === undefined ? 0 : o.speed, o.ignition ?? null);
    return this;
  }
  drive(seconds: number, speed: number, o: { ignition?: boolean | null; reportSpeed?: boolean; fuelPerS?: number } = {}): this {
    for (let i = 0; i < seconds; i++) {
      this.lat += speed / M_PER_DEG;
      if (this.fuel !== null) this.fuel -= o.fuelPerS ?? 0;
      this.point(o.reportSpeed === false ? null : speed, o.ignition ?? true);
    }
    return this;
  }
  silence(seconds: number): this {
    this.t += seconds * 1000;
    return this;
  }
  private point(speedMps: number | null, ignition: boolean | null): void {
    this.t += 1000;
    this.points.push({ timeMs: this.t, lat: this.lat, lon: this.lon, speedMps, ignition, fuelPct: this.fuel === null ? null : Math.round(this.fuel * 10) / 10 });
  }
}

function detect(points: TripPoint[], opts = {}): TripSegment[] {
  const d = new TripDetector(opts);
  const out: TripSegment[] = [];
  for (const p of points) out.push(...d.push(p));
  out.push(...d.finish());
  return out;
}
const kinds = (s: TripSegment[]) => s.map((x) => `${x.kind}${x.ongoing ? '*' : ''}`);

describe('trip detector (sans-IO, Traccar defaults)', () => {
  it('parked, a 10 min drive, parked again: a stop, the trip with its distance and speeds, the ongoing stop', () => {
    const tr = new Track().stand(600).drive(600, 10).stand(600);
    const s = detect(tr.points);
    expect(kinds(s)).toEqual(['stop', 'trip', 'stop*']);
    const [stop, trip, last] = s as [Stop, Trip, Stop];
    expect(stop.durationMs).toBe(600_000);
    expect(trip.start.timeMs).toBe(T0 + 601_000);
    expect(trip.end.timeMs).toBe(T0 + 1_200_000);
    expect(trip.durationMs).toBe(599_000);
    expect(trip.distanceM).toBeGreaterThan(5_980);
    expect(trip.distanceM).toBeLessThan(6_000);
    expect(trip.maxSpeedMps).toBe(10);
    expect(trip.avgSpeedMps).toBeCloseTo(10, 1);
    expect(trip.fuelUsedPct).toBeNull();
    expect(last.start).toEqual(trip.end);
    expect(last.durationMs).toBe(600_000);
  });

  it('a short move in a yard (60 s, 120 m) is no trip: one stop over the whole time', () => {
    const s = detect(new Track().stand(600).drive(60, 2).stand(600).points);
    expect(kinds(s)).toEqual(['stop*']);
    expect(s[0]!.durationMs).toBe(1_259_000);
  });

  it('either criterion makes a trip: 200 s covering 1 km, or 400 s covering 400 m', () => {
    expect(kinds(detect(new Track().stand(400).drive(200, 5).stand(400).points))).toEqual(['stop', 'trip', 'stop*']);
    expect(kinds(detect(new Track().stand(400).drive(400, 1).stand(400).points))).toEqual(['stop', 'trip', 'stop*']);
    expect(kinds(detect(new Track().stand(400).drive(200, 2).stand(400).points))).toEqual(['stop*']);
  });

  it('a red light or a queue (standing under 5 min) does not split the trip', () => {
    const s = detect(new Track().drive(300, 10).stand(240).drive(300, 10).stand(400).points);
    expect(kinds(s)).toEqual(['trip', 'stop*']);
    expect((s[0] as Trip).durationMs).toBe(839_000);
  });

  it('ignition off keeps a drifting receiver parked; without an ignition signal the same drift is motion', () => {
    expect(kinds(detect(new Track().stand(1200, { speed: 0.8, ignition: false }).points))).toEqual(['stop*']);
    expect(kinds(detect(new Track().stand(1200, { speed: 0.8, ignition: null }).points))).toEqual(['trip*']);
  });

  it('an hour without data ends the trip at the last point before the silence', () => {
    const tr = new Track().drive(600, 10).silence(7200).drive(600, 10);
    const s = detect(tr.points);
    expect(kinds(s)).toEqual(['trip', 'stop', 'trip*']);
    expect((s[0] as Trip).end.timeMs).toBe(T0 + 600_000);
    expect(s[1]!.durationMs).toBe(7_201_000);
  });

  it('fuel used is the level at the start minus at the end of the trip', () => {
    const s = detect(new Track(50).stand(400).drive(600, 10, { fuelPerS: 0.005 }).stand(400).points);
    expect((s[1] as Trip).fuelUsedPct).toBeCloseTo(3, 1);
  });

  it('a fix without speed moves by the distance from the previous point', () => {
    const s = detect(new Track().stand(400).drive(600, 10, { reportSpeed: false }).stand(400).points);
    expect(kinds(s)).toEqual(['stop', 'trip', 'stop*']);
    expect((s[1] as Trip).maxSpeedMps).toBeCloseTo(10, 3);
  });

  it('ignores a point older than the one before it (no negative durations)', () => {
    const tr = new Track().stand(400).drive(600, 10).stand(400);
    const pts = [...tr.points];
    pts.splice(700, 0, { ...pts[10]! });
    expect(detect(pts)).toEqual(detect(tr.points));
  });

  it('nothing from no points or a single one', () => {
    expect(detect([])).toEqual([]);
    expect(detect(new Track().stand(1).points)).toEqual([]);
  });

  it('distance: 1 degree of latitude is 111.195 km on the mean radius', () => {
    expect(distanceM({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(111_195, 0);
    expect(distanceM({ lat: 52, lon: 13 }, { lat: 52, lon: 13 })).toBe(0);
  });
});
