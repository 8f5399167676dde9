import { readFileSync } from 'node:fs';
import { sharedData } from './shared.js';
import type { Fix } from '../../src/codec/fix-json.js';
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

/**
 * SYNTHETIC vehicle values (the drives carry no engine or cabin data), smooth and
 * deterministic, for sizing full records: battery, rpm from speed, warming
 * coolant, oil pressure, falling fuel, four tyres, cabin climate, ignition, faults.
 */
export function withSyntheticSensors(r: TelemetryRecord, i: number): TelemetryRecord {
  const v = (r.speedCms ?? 0) / 100;
  // A plain literal, as a producer would build it: objects made by spreading
  // keep V8 from using fast property access (every encoder pays for that).
  return {
    seq: r.seq, timeMs: r.timeMs, lat7: r.lat7, lon7: r.lon7, altDm: r.altDm, speedCms: r.speedCms,
    courseCdeg: r.courseCdeg, mode: r.mode, sats: r.sats, hdopC: r.hdopC,
    batteryMv: 13800 + ((i * 7) % 40) - 20,
    rpm: v > 0.5 ? Math.round(800 + v * 60) : 750,
    coolantDc: Math.min(900, 400 + Math.floor(i / 3)),
    oilKpa: v > 0.5 ? 300 + Math.round(v) : 180,
    fuelPm: 640 - Math.floor(i / 120),
    tyresKpa: [820 + Math.floor(i / 300), 815 + Math.floor(i / 300), 830, 825],
    cabinDc: 215 + Math.floor(i / 200),
    humidityPm: 452 + (Math.floor(i / 30) % 5),
    ignition: true,
    faults: 0,
  };
}
