import { nmeaLine } from '../lexer.js';
import { RouteDriver, type VehicleState } from './route.js';
import { mulberry32 } from '../../base/random.js';

/**
 * The simulated receiver: a u-blox-like NMEA stream (GN talker for RMC, VTG, GGA, GSA,
 * GLL, ZDA; GP GSV) for a vehicle driving the delivery round, at 1-10 Hz, with correct
 * checksums. In the tunnel it keeps sending time (its clock runs on) with void RMC,
 * GGA quality 0, GSA fix type 1 and empty positions, like a real receiver.
 */
export interface GeneratorOptions {
  /** Epochs per second, 1-10. */
  rateHz: number;
  /** GNSS UTC of the first epoch (ms; rounded down to the epoch period). */
  startMs: number;
  /** PRNG seed for noise (deterministic output for tests). */
  seed?: number;
  driver?: RouteDriver;
}

export interface Epoch {
  timeMs: number;
  text: string;
  state: VehicleState;
}


const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function hms(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(Math.floor(d.getUTCMilliseconds() / 10), 2)}`;
}

function dmy(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
}

/** ddmm.mmmmm / dddmm.mmmmm with hemisphere, as a u-blox prints it. */
export function formatCoord(deg: number, isLat: boolean): string {
  const hemi = isLat ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  const a = Math.abs(deg);
  let d = Math.floor(a);
  let m = Math.round((a - d) * 60 * 1e5);
  if (m >= 60 * 1e5) {
    d += 1;
    m -= 60 * 1e5;
  }
  const mm = `${pad(Math.floor(m / 1e5), 2)}.${pad(m % 1e5, 5)}`;
  return `${pad(d, isLat ? 2 : 3)}${mm},${hemi}`;
}

const SATS = [2, 5, 7, 9, 13, 15, 18, 20, 23, 26, 29, 30];

export class NmeaGenerator {
  private readonly driver: RouteDriver;
  private readonly rnd: () => number;
  private readonly periodMs: number;
  private t: number;

  constructor(opts: GeneratorOptions) {
    if (!(opts.rateHz >= 1 && opts.rateHz <= 10)) throw new RangeError(`rateHz must be 1..10, got ${opts.rateHz}`);
    this.periodMs = Math.round(1000 / opts.rateHz);
    this.t = Math.floor(opts.startMs / this.periodMs) * this.periodMs;
    this.driver = opts.driver ?? new RouteDriver();
    this.rnd = mulberry32(opts.seed ?? 1);
  }

  get period(): number {
    return this.periodMs;
  }

  /** GNSS time of the epoch next() will produce. */
  get nextTimeMs(): number {
    return this.t;
  }

  /** The next epoch's sentences; advances the vehicle by one period. */
  next(): Epoch {
    const state = this.driver.state();
    const text = this.sentences(this.t, state);
    const epoch = { timeMs: this.t, text, state };
    this.t += this.periodMs;
    this.driver.step(this.periodMs / 1000);
    return epoch;
  }

  private sentences(t: number, s: VehicleState): string {
    const time = hms(t);
    const wholeSecond = t % 1000 === 0;
    const fix = !s.inTunnel;
    const moving = s.speed > 0.3;
    const noise = (m: number): number => (this.rnd() - 0.5) * 2 * m;
    // Position noise of about a metre; speed noise of a few cm/s.
    const lat = s.lat + noise(1) / 111_320;
    const lon = s.lon + noise(1) / 74_400;
    const speed = fix ? Math.max(0, s.speed + (moving ? noise(0.05) : Math.abs(noise(0.03)))) : 0;
    const kn = (speed * 3600) / 1852;
    const course = moving ? ((s.course + noise(0.8) + 360) % 360).toFixed(2) : '';
    const sats = fix ? 9 + Math.floor(this.rnd() * 3) : 0;
    const hdop = fix ? (0.7 + this.rnd() * 0.4).toFixed(2) : '99.99';
    const alt = (519 + 3 * Math.sin(t / 60_000)).toFixed(1);
    const pos = fix ? `${formatCoord(lat, true)},${formatCoord(lon, false)}` : ',,,';
    const out: string[] = [];
    out.push(`GNRMC,${time},${fix ? 'A' : 'V'},${pos},${fix ? kn.toFixed(3) : ''},${fix ? course : ''},${dmy(t)},,,${fix ? 'A' : 'N'},V`);
    out.push(`GNVTG,${fix ? course : ''},T,,M,${fix ? kn.toFixed(3) : ''},N,${fix ? (speed * 3.6).toFixed(3) : ''},K,${fix ? 'A' : 'N'}`);
    out.push(`GNGGA,${time},${pos},${fix ? 1 : 0},${pad(sats, 2)},${hdop},${fix ? alt : ''},M,${fix ? '47.6' : ''},M,,`);
    const used = fix ? SATS.slice(0, sats).map((n) => pad(n, 2)) : [];
    while (used.length < 12) used.push('');
    out.push(`GNGSA,A,${fix ? 3 : 1},${used.join(',')},${fix ? '1.52' : '99.99'},${hdop},${fix ? '1.18' : '99.99'},1`);
    if (wholeSecond) {
      const inView = SATS.length;
      for (let i = 0; i < 3; i++) {
        const groups = SATS.slice(i * 4, i * 4 + 4).map((id, k) => {
          const el = 10 + ((id * 7 + k * 13) % 75);
          const az = (id * 37) % 360;
          const snr = fix ? pad(25 + ((id * 3 + Math.floor(t / 5000)) % 20), 2) : '';
          return `${pad(id, 2)},${pad(el, 2)},${pad(az, 3)},${snr}`;
        });
        out.push(`GPGSV,3,${i + 1},${inView},${groups.join(',')},1`);
      }
    }
    out.push(`GNGLL,${pos},${time},${fix ? 'A' : 'V'},${fix ? 'A' : 'N'}`);
    if (wholeSecond) {
      const d = new Date(t);
      out.push(`GNZDA,${time},${pad(d.getUTCDate(), 2)},${pad(d.getUTCMonth() + 1, 2)},${d.getUTCFullYear()},00,00`);
    }
    return out.map(nmeaLine).join('');
  }
}
