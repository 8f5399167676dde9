/**
 * A delivery round for the simulated board: a closed loop of legs through a city
 * (local east/north metres around a reference point), with speed limits, turns, a
 * traffic light, a delivery stop long enough to count as stationary, and a tunnel.
 * RouteDriver moves a vehicle along it with bounded acceleration and braking, slowing
 * for turns and stops, so speed and course change like a real truck's.
 */
export interface Waypoint {
  /** Metres east/north of the route origin. */
  e: number;
  n: number;
  /** Speed limit of the leg that ends here, km/h. */
  limitKmh: number;
  /** Dwell at this waypoint, s (0: drive through). */
  stopS?: number;
  /** Fraction of the leg ending here that is inside a tunnel (no satellites). */
  tunnel?: [number, number];
}

export const ORIGIN = { lat: 48.137154, lon: 11.576124 };

/** About 7.7 km; one round takes about 20 minutes including stops. */
export const DELIVERY_ROUND: Waypoint[] = [
  { e: 0, n: 0, limitKmh: 30, stopS: 45 },
  { e: 0, n: 800, limitKmh: 50 },
  { e: 600, n: 800, limitKmh: 50, stopS: 25 },
  { e: 600, n: 2200, limitKmh: 70, tunnel: [0.3, 0.7] },
  { e: 1500, n: 2600, limitKmh: 70 },
  { e: 2200, n: 2000, limitKmh: 50, stopS: 400 },
  { e: 2200, n: 900, limitKmh: 50 },
  { e: 1200, n: 300, limitKmh: 30 },
];

export interface VehicleState {
  lat: number;
  lon: number;
  /** m/s */
  speed: number;
  /** degrees true */
  course: number;
  inTunnel: boolean;
}

const M_PER_DEG_LAT = 111_320;
const ACCEL = 1.2; // m/s^2, a loaded truck
const BRAKE = 1.8; // m/s^2, comfortable braking

interface Leg {
  from: Waypoint;
  to: Waypoint;
  len: number;
  bearing: number;
  /** Speed to pass `to` at, m/s. */
  exitSpeed: number;
}

function bearing(a: Waypoint, b: Waypoint): number {
  const deg = (Math.atan2(b.e - a.e, b.n - a.n) * 180) / Math.PI;
  return (deg + 360) % 360;
}

function turnSpeed(turnDeg: number, limit: number): number {
  if (turnDeg >= 60) return Math.min(limit, 5);
  if (turnDeg >= 20) return Math.min(limit, 9);
  return limit;
}

export class RouteDriver {
  private readonly legs: Leg[];
  private leg = 0;
  private s = 0;
  private v = 0;
  private dwell: number;

  constructor(
    private readonly route: Waypoint[] = DELIVERY_ROUND,
    private readonly origin = ORIGIN,
  ) {
    const n = route.length;
    this.legs = route.map((from, i) => {
      const to = route[(i + 1) % n]!;
      const after = route[(i + 2) % n]!;
      const b = bearing(from, to);
      let turn = Math.abs(bearing(to, after) - b);
      if (turn > 180) turn = 360 - turn;
      return { from, to, len: Math.hypot(to.e - from.e, to.n - from.n), bearing: b, exitSpeed: to.stopS ? 0 : turnSpeed(turn, to.limitKmh / 3.6) };
    });
    this.dwell = route[0]!.stopS ?? 0;
  }

  /** Advances the vehicle by dt seconds. */
  step(dt: number): void {
    if (this.dwell > 0) {
      this.dwell = Math.max(0, this.dwell - dt);
      this.v = 0;
      return;
    }
    const leg = this.legs[this.leg]!;
    const limit = leg.to.limitKmh / 3.6;
    const toGo = leg.len - this.s;
    const brakeTo = Math.sqrt(leg.exitSpeed * leg.exitSpeed + 2 * BRAKE * Math.max(0, toGo - 2));
    const target = Math.min(limit, brakeTo);
    if (this.v < target) this.v = Math.min(target, this.v + ACCEL * dt);
    else this.v = Math.max(target, this.v - 2 * BRAKE * dt);
    if (leg.exitSpeed === 0 && toGo < 3) this.v = Math.max(this.v, 0.8);
    this.s += this.v * dt;
    if (this.s >= leg.len) {
      this.s -= leg.len;
      this.leg = (this.leg + 1) % this.legs.length;
      if (leg.to.stopS) {
        this.s = 0;
        this.v = 0;
        this.dwell = leg.to.stopS;
      }
    }
  }

  state(): VehicleState {
    const leg = this.legs[this.leg]!;
    const f = leg.len > 0 ? this.s / leg.len : 0;
    const e = leg.from.e + (leg.to.e - leg.from.e) * f;
    const n = leg.from.n + (leg.to.n - leg.from.n) * f;
    const t = leg.to.tunnel;
    return {
      lat: this.origin.lat + n / M_PER_DEG_LAT,
      lon: this.origin.lon + e / (M_PER_DEG_LAT * Math.cos((this.origin.lat * Math.PI) / 180)),
      speed: this.v,
      course: leg.bearing,
      inTunnel: t !== undefined && f >= t[0] && f <= t[1] && this.dwell === 0,
    };
  }
}
