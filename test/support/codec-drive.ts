import { readFileSync } from 'node:fs';
import { sharedData } from './shared.js';
import type { Fix } from '../../src/telemetry/fix-json.js';
import type { TelemetryRecord } from '../../src/codec/telemetry.js';

/**
 * Real drives from ../shared/data/drive/ as fixes, for codec tests and the codec
 * benchmark. A deliberately minimal RMC+GGA reader (checksum checked, one fix per
 * RMC time, GGA of the same time merged in) until src/gnss lands; the barefoot
 * JSON trace gets speed and course from consecutive positions.
 */
export const NMEA_DRIVES = ['tizen_duesseldorf_2009_1hz.nmea', 'dashcam_stpetersburg_2016_1hz.nmea', 'garmin_reno_2005_0p5hz.nmea'] as const;
export const BAREFOOT = 'barefoot_munich_2014_1hz.json';

function checksumOk(line: string): boolean {
  const star = line.lastIndexOf('*');
  if (!line.startsWith('$') || star < 0) return false;
  let x = 0;
  for (let i = 1; i < star; i++) x ^= line.charCodeAt(i);
  return x === parseInt(line.slice(star + 1, star + 3), 16);
}

/** "4807.038","N" -> degrees and exact 1e-7 degrees from the text. */
function coord(v: string, hemi: string, degDigits: number): [number, number] | null {
  if (!v) return null;
  const deg = Number(v.slice(0, degDigits));
  const min = Number(v.slice(degDigits));
  const sign = hemi === 'S' || hemi === 'W' ? -1 : 1;
  const d = sign * (deg + min / 60);
  return [d, Math.round(d * 1e7)];
}

const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));

export function nmeaFixes(file: string): Fix[] {
  // One epoch per UTC time field, whichever of RMC and GGA comes first.
  const epochs = new Map<string, { rmc?: string[]; gga?: string[] }>();
  for (const raw of readFileSync(sharedData('drive', file), 'latin1').split(/\r?\n/)) {
    const line = raw.trim();
    if (!checksumOk(line)) continue;
    const f = line.slice(0, line.lastIndexOf('*')).split(',');
    const type = f[0]!.slice(3);
    if ((type !== 'RMC' && type !== 'GGA') || !f[1]) continue;
    const e = epochs.get(f[1]) ?? {};
    if (type === 'RMC') e.rmc = f;
    else e.gga = f;
    epochs.set(f[1], e);
  }
  const fixes: Fix[] = [];
  for (const [t, { rmc, gga: g }] of epochs) {
    if (!rmc || rmc[2] !== 'A') continue;
    const [, , , lat, ns, lon, ew, kn, course, date] = rmc;
    if (!date || date.length !== 6) continue;
    const yy = Number(date.slice(4, 6));
    const timeMs = Date.UTC(yy > 80 ? 1900 + yy : 2000 + yy, Number(date.slice(2, 4)) - 1, Number(date.slice(0, 2)),
      Number(t.slice(0, 2)), Number(t.slice(2, 4)), 0) + Math.round(Number(t.slice(4)) * 1000);
    const la = coord(lat!, ns!, 2);
    const lo = coord(lon!, ew!, 3);
    if (!la || !lo) continue;
    const quality = num(g?.[6]);
    fixes.push({
      timeMs, lat: la[0], lon: lo[0], lat7: la[1], lon7: lo[1],
      alt: num(g?.[9]),
      speed: kn ? Number(kn) * 0.514444 : 0,
      course: num(course),
      mode: quality && quality > 0 ? 3 : 2,
      quality, sats: num(g?.[7]), hdop: num(g?.[8]),
    });
  }
  fixes.sort((a, b) => a.timeMs - b.timeMs);
  return fixes;
}

const R = 6371008.8;
const rad = Math.PI / 180;

export function barefootFixes(): Fix[] {
  const pts = JSON.parse(readFileSync(sharedData('drive', BAREFOOT), 'utf8')) as { point: string; time: string }[];
  const out: Fix[] = [];
  let prev: { lat: number; lon: number; t: number } | null = null;
  for (const p of pts) {
    const m = /POINT\(([-\d.]+) ([-\d.]+)\)/.exec(p.point);
    if (!m) continue;
    const lon = Number(m[1]);
    const lat = Number(m[2]);
    const t = Date.parse(p.time.replace(' ', 'T').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    let speed = 0;
    let course: number | null = null;
    if (prev && t > prev.t) {
      const dy = (lat - prev.lat) * rad * R;
      const dx = (lon - prev.lon) * rad * R * Math.cos(lat * rad);
      speed = Math.hypot(dx, dy) / ((t - prev.t) / 1000);
      if (speed > 60) speed = 0; // the trace's one position spike
      if (speed > 0.5) course = ((Math.atan2(dx, dy) / rad) + 360) % 360;
    }
    prev = { lat, lon, t };
    out.push({ timeMs: t, lat, lon, lat7: Math.round(lat * 1e7), lon7: Math.round(lon * 1e7), alt: null, speed, course, mode: 2, quality: null, sats: null, hdop: null });
  }
  return out;
}

/** Every drive: name -> fixes. */
export function allDrives(): [string, Fix[]][] {
  return [...NMEA_DRIVES.map((f) => [f, nmeaFixes(f)] as [string, Fix[]]), [BAREFOOT, barefootFixes()]];
}

/** Deterministic uniform in [0, 1) from a channel and a sample number (integer hash). */
function uniform(channel: number, k: number): number {
  let h = Math.imul(channel + 1, 0x9e3779b1) ^ Math.imul(k | 0, 0x85ebca6b) ^ Math.imul(Math.floor(k / 2 ** 32), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** Deterministic standard normal noise (Box-Muller) for sample k of a channel. */
function gauss(channel: number, k: number): number {
  return Math.sqrt(-2 * Math.log(1 - uniform(channel, 2 * k))) * Math.cos(2 * Math.PI * uniform(channel, 2 * k + 1));
}

/** Tyre sensors on the truck board (pi4-fleet: six ABP sensors behind a TCA9548A). */
const TYRES_COLD_KPA = [830, 828.5, 790, 788.5, 787, 785.5];

/**
 * SYNTHETIC vehicle values (the drives carry no engine or cabin data) for record i
 * of a drive, shaped like what src/sensors produces on the truck board
 * (board/pi4-fleet.json, docs/SENSORS.md, the sim vehicle in src/sensors/sim):
 * - schedule: engine values (battery, rpm, coolant, oil, fuel) sampled every 1 s,
 *   tyres every 10 s, cabin every 30 s, each record carrying the latest sample
 *   (held in between), sampled on the GNSS time grid; nothing expires while the
 *   chips answer, so every record has every value;
 * - battery: 24 V truck, alternator charging 27.8 V with a slow 0.1 V swing, and
 *   noise of sigma 20 mV per 1 s sample (alternator ripple through the 11:1
 *   divider into the ADS1115 single-shot conversion), at 1 mV resolution;
 * - rpm: from speed (idle 650, 900 + 45 per m/s), measured like src/sensors/tach.ts:
 *   edges of a 6-pulse-per-rev tach counted over a window of 1000 ms +- 4 ms of
 *   event-loop jitter, so readings come in ~10 rpm steps scaled by the window;
 * - oil pressure follows rpm and viscosity (the sim's model) with sigma 2 kPa;
 *   coolant warms to the thermostat (86.5-88.5 degC, tau 420 s from 15 degC) with
 *   sigma 0.05 degC of NTC/ADC noise; fuel falls with load, and a damped
 *   sender still shows slosh of sigma 0.4 % while moving (0.05 % standing);
 * - tyres: warm up by 5 % (tau 900 s), ABP noise sigma 0.4 kPa, at 1 kPa;
 * - cabin: BME280 temperature drifting to 21 degC (sigma 0.02 degC) and humidity
 *   55 % +- 6 % over minutes (sigma 0.1 %).
 * Elapsed time since engine start is taken as i seconds.
 */
export function withSyntheticSensors(r: TelemetryRecord, i: number): TelemetryRecord {
  const v = (r.speedCms ?? 0) / 100;
  const s = Math.floor(r.timeMs / 1000); // the 1 s engine sample behind this record
  const tyreSample = Math.floor(r.timeMs / 10_000);
  const cabinSample = Math.floor(r.timeMs / 30_000);
  const rpmTrue = v < 0.5 ? 650 : 900 + 45 * Math.min(v, 30);
  const windowMs = 1000 + 8 * (uniform(1, s) - 0.5);
  // Edges in the window: expected count plus the phase of the previous edge.
  const edges = Math.floor((rpmTrue / 60) * 6 * (windowMs / 1000) + uniform(2, s));
  const rpm = Math.round((edges / 6) * (60_000 / windowMs));
  // Thermal mass: no second-to-second load term; the thermostat hunts +-1 degC over 4 minutes.
  const coolantC = 87.5 - 72.5 * Math.exp(-i / 420) + Math.sin((2 * Math.PI * i) / 240) * (1 - Math.exp(-i / 420));
  const viscosity = 1 + Math.max(0, 88 - coolantC) / 120;
  const load = rpmTrue / 1500;
  const fuelPct = 72 - i * (0.0012 * load + 0.0003);
  // Held values are what the sensor read at its last sample, i.e. this many seconds ago.
  const sinceTyres = (r.timeMs - tyreSample * 10_000) / 1000;
  const sinceCabin = (r.timeMs - cabinSample * 30_000) / 1000;
  const warm = 1 + 0.05 * (1 - Math.exp(-Math.max(0, i - sinceTyres) / 900));
  // A plain literal, as a producer would build it: objects made by spreading
  // keep V8 from using fast property access (every encoder pays for that).
  return {
    seq: r.seq, timeMs: r.timeMs, lat7: r.lat7, lon7: r.lon7, altDm: r.altDm, speedCms: r.speedCms,
    courseCdeg: r.courseCdeg, mode: r.mode, sats: r.sats, hdopC: r.hdopC,
    batteryMv: Math.round(27_800 + 100 * Math.sin((2 * Math.PI * s) / 300) + 20 * gauss(3, s)),
    rpm,
    coolantDc: Math.round(10 * coolantC + 0.5 * gauss(4, s)),
    oilKpa: Math.round((90 + 0.2 * rpm) * viscosity + 2 * gauss(5, s)),
    fuelPm: Math.round(10 * fuelPct + (v > 0.5 ? 4 : 0.5) * gauss(6, s)),
    tyresKpa: TYRES_COLD_KPA.map((p, k) => Math.round(p * warm + 0.4 * gauss(10 + k, tyreSample))),
    cabinDc: Math.round(10 * (21 - 5 * Math.exp(-Math.max(0, i - sinceCabin) / 600)) + 0.2 * gauss(20, cabinSample)),
    humidityPm: Math.round(550 + 60 * Math.sin((30 * cabinSample) / 95) + gauss(21, cabinSample)),
    ignition: true,
    faults: 0,
  };
}
