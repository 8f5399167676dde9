import { defined, type Dtc, type VehicleValues } from '../values.js';

/**
 * OBD-II services and PIDs (SAE J1979 / ISO 15031-5): mode 01 current data, mode 03 stored
 * trouble codes, mode 09 vehicle information. One row per PID: data bytes and decoder.
 */
export const SERVICE = { CURRENT: 0x01, DTC: 0x03, VEHICLE_INFO: 0x09 } as const;
export const NEGATIVE = 0x7f;
/** Negative response code: request received, response pending (the ECU needs longer). */
export const NRC_PENDING = 0x78;

export interface PidSpec {
  name: string;
  bytes: number;
  decode(d: Uint8Array): VehicleValues;
}

/** Mode 01 PIDs geostream polls. */
export const PIDS: ReadonlyMap<number, PidSpec> = new Map<number, PidSpec>([
  [0x05, { name: 'coolant temperature', bytes: 1, decode: (d) => ({ coolantC: d[0]! - 40 }) }],
  [0x0c, { name: 'engine speed', bytes: 2, decode: (d) => ({ engineRpm: ((d[0]! << 8) | d[1]!) / 4 }) }],
  [0x0d, { name: 'vehicle speed', bytes: 1, decode: (d) => ({ speedKmh: d[0]! }) }],
  [0x11, { name: 'throttle position', bytes: 1, decode: (d) => ({ throttlePct: round((d[0]! * 100) / 255) }) }],
  [0x2f, { name: 'fuel level', bytes: 1, decode: (d) => ({ fuelLevelPct: round((d[0]! * 100) / 255) }) }],
  [0x5e, { name: 'engine fuel rate', bytes: 2, decode: (d) => ({ fuelRateLph: ((d[0]! << 8) | d[1]!) / 20 }) }],
  [0xa6, { name: 'odometer', bytes: 4, decode: (d) => ({ totalDistanceKm: (((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0) / 10 }) }],
]);

const round = (v: number): number => Number(v.toFixed(2));

/** PIDs 0x00, 0x20, ... 0xC0: a 32-bit bitmap of PIDs n+1..n+32 (bit 31 of the first byte is n+1). */
export function isBitmapPid(pid: number): boolean {
  return pid % 0x20 === 0 && pid <= 0xe0;
}

export function bitmapPids(base: number, d: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) if ((d[i >> 3]! >> (7 - (i & 7))) & 1) out.push(base + i + 1);
  return out;
}

/** A positive mode 01 response `41 PID data...`: the PID and what it says, or null if malformed. */
export function decodeMode01(p: Uint8Array): { pid: number; values?: VehicleValues; supported?: number[] } | null {
  if (p.length < 2 || p[0] !== SERVICE.CURRENT + 0x40) return null;
  const pid = p[1]!;
  const d = p.subarray(2);
  if (isBitmapPid(pid)) return d.length >= 4 ? { pid, supported: bitmapPids(pid, d) } : null;
  const spec = PIDS.get(pid);
  if (!spec || d.length < spec.bytes) return spec ? null : { pid };
  return { pid, values: defined(spec.decode(d)) };
}

/** `P0301`: two bits letter (P, C, B, U), then four hex digits (the first only 0-3). */
export function dtcCode(a: number, b: number): string {
  return `${'PCBU'[a >> 6]}${((a >> 4) & 3).toString()}${(a & 0xf).toString(16).toUpperCase()}${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Mode 03 response on CAN: `43 N (A B)*N`; 0000 entries are padding. */
export function decodeMode03(p: Uint8Array): Dtc[] | null {
  if (p.length < 2 || p[0] !== SERVICE.DTC + 0x40) return null;
  const n = p[1]!;
  if (p.length < 2 + 2 * n) return null;
  const out: Dtc[] = [];
  for (let i = 0; i < n; i++) {
    const a = p[2 + 2 * i]!;
    const b = p[3 + 2 * i]!;
    if (a === 0 && b === 0) continue;
    out.push({ code: dtcCode(a, b) });
  }
  return out;
}

/** Mode 09 PID 02 on CAN: `49 02 01` + 17 ASCII characters (leading pad bytes dropped). */
export function decodeVin(p: Uint8Array): string | null {
  if (p.length < 4 || p[0] !== SERVICE.VEHICLE_INFO + 0x40 || p[1] !== 0x02) return null;
  const chars = [...p.subarray(3)].filter((c) => c !== 0 && c !== 0xff);
  if (chars.length === 0 || chars.some((c) => c < 0x21 || c > 0x7e)) return null;
  return Buffer.from(chars).toString('latin1');
}
