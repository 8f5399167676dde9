import { defined, type Dtc, type TireValues, type VehicleValues, type WarningLamps } from '../values.js';
import { bit2, tidy, u16, u32, u8 } from './slots.js';

/**
 * Decoders for the parameter groups geostream reads, one row per PGN (SAE J1939-71
 * positions and scalings; byte indexes here are 0-based, the standard counts from 1).
 */
export interface PgnSpec {
  name: string;
  /** Longest data the group can have (8 for single-frame groups; multi-packet groups more). */
  maxBytes: number;
  decode(d: Uint8Array): VehicleValues;
}

export const PGN = {
  EEC1: 61444,
  ETC2: 61445,
  VDHR: 65217,
  DM1: 65226,
  VD: 65248,
  HOURS: 65253,
  LFC: 65257,
  VI: 65260,
  ET1: 65262,
  CCVS: 65265,
  LFE: 65266,
  TIRE: 65268,
  DD: 65276,
  /** Transport protocol, connection management and data transfer (J1939-21). */
  TP_CM: 60416,
  TP_DT: 60160,
  REQUEST: 59904,
} as const;

/** Longest multi-packet message: 255 packets of 7 bytes (J1939-21). */
export const TP_MAX_BYTES = 1785;

function eec1(d: Uint8Array): VehicleValues {
  return defined({ engineTorquePct: u8(d, 2, 1, -125), engineRpm: u16(d, 3, 0.125) });
}

function etc2(d: Uint8Array): VehicleValues {
  return defined({ gear: u8(d, 3, 1, -125) });
}

function et1(d: Uint8Array): VehicleValues {
  return defined({ coolantC: u8(d, 0, 1, -40), fuelTempC: u8(d, 1, 1, -40), oilTempC: tidy(u16(d, 2, 0.03125, -273)) });
}

function lfe(d: Uint8Array): VehicleValues {
  return defined({ fuelRateLph: tidy(u16(d, 0, 0.05)), fuelEconomyKmL: tidy(u16(d, 2, 1 / 512)), throttlePct: tidy(u8(d, 6, 0.4)) });
}

function lfc(d: Uint8Array): VehicleValues {
  return defined({ tripFuelL: u32(d, 0, 0.5), fuelUsedL: u32(d, 4, 0.5) });
}

function dd(d: Uint8Array): VehicleValues {
  return defined({ fuelLevelPct: tidy(u8(d, 1, 0.4)) });
}

function ccvs(d: Uint8Array): VehicleValues {
  return defined({
    parkingBrake: bit2(d, 0, 2),
    speedKmh: tidy(u16(d, 1, 1 / 256)),
    cruiseActive: bit2(d, 3, 0),
    brakePedal: bit2(d, 3, 4),
    clutchPedal: bit2(d, 3, 6),
  });
}

function vdhr(d: Uint8Array): VehicleValues {
  return defined({ totalDistanceKm: tidy(u32(d, 0, 0.005)), tripDistanceKm: tidy(u32(d, 4, 0.005)) });
}

function vd(d: Uint8Array): VehicleValues {
  return defined({ tripDistanceKm: tidy(u32(d, 0, 0.125)), totalDistanceKm: tidy(u32(d, 4, 0.125)) });
}

function hours(d: Uint8Array): VehicleValues {
  return defined({ engineHours: tidy(u32(d, 0, 0.05)), engineRevolutions: u32(d, 4, 1000) });
}

/** Tire location (SPN 929): high nibble axle front to back, low nibble position left to right. */
function tire(d: Uint8Array): VehicleValues {
  const loc = d[0];
  if (loc === undefined || loc === 0xff) return {};
  const t: TireValues = defined({
    axle: loc >> 4,
    position: loc & 0x0f,
    pressureKpa: u8(d, 1, 4),
    temperatureC: tidy(u16(d, 2, 0.03125, -273)),
    leakPaS: tidy(u16(d, 5, 0.1)),
  });
  return { tires: [t] };
}

/** VIN (SPN 237): ASCII, ended by '*' (J1939-71 delimiter). Printable ASCII only. */
function vi(d: Uint8Array): VehicleValues {
  let end = d.indexOf(0x2a);
  if (end < 0) end = d.length;
  const bytes = d.subarray(0, end);
  for (const b of bytes) if (b < 0x20 || b > 0x7e) return {};
  const vin = Buffer.from(bytes).toString('latin1').trim();
  return vin ? { vin } : {};
}

/** Lamp status byte of DM1 (J1939-73): MIL bits 8-7, red stop 6-5, amber 4-3, protect 2-1. */
function lamps(b: Uint8Array): WarningLamps {
  return defined({ malfunction: bit2(b, 0, 6), redStop: bit2(b, 0, 4), amberWarning: bit2(b, 0, 2), protect: bit2(b, 0, 0) });
}

/**
 * DM1 active trouble codes (J1939-73): two lamp bytes, then 4 bytes per DTC: SPN (19 bits:
 * byte 3, byte 4, top 3 bits of byte 5), FMI (low 5 bits of byte 5), conversion method
 * (top bit of byte 6) and occurrence count (low 7 bits). SPN 0 / FMI 0 means "no active
 * DTC"; 0xFF padding is not a DTC.
 */
function dm1(d: Uint8Array): VehicleValues {
  if (d.length < 2) return {};
  const out: VehicleValues = { lamps: lamps(d), dtcs: [] };
  for (let i = 2; i + 4 <= d.length; i += 4) {
    const b2 = d[i + 2]!;
    const b3 = d[i + 3]!;
    if (d[i] === 0xff && d[i + 1] === 0xff && b2 === 0xff) continue;
    const spn = d[i]! | (d[i + 1]! << 8) | ((b2 & 0xe0) << 11);
    const fmi = b2 & 0x1f;
    if (spn === 0 && fmi === 0) continue;
    const dtc: Dtc = { code: `SPN ${spn} FMI ${fmi}`, spn, fmi };
    const oc = b3 & 0x7f;
    if (oc !== 0x7f) dtc.occurrences = oc;
    out.dtcs!.push(dtc);
  }
  return out;
}

export const PGNS: ReadonlyMap<number, PgnSpec> = new Map<number, PgnSpec>([
  [PGN.EEC1, { name: 'EEC1', maxBytes: 8, decode: eec1 }],
  [PGN.ETC2, { name: 'ETC2', maxBytes: 8, decode: etc2 }],
  [PGN.ET1, { name: 'ET1', maxBytes: 8, decode: et1 }],
  [PGN.LFE, { name: 'LFE', maxBytes: 8, decode: lfe }],
  [PGN.LFC, { name: 'LFC', maxBytes: 8, decode: lfc }],
  [PGN.DD, { name: 'DD', maxBytes: 8, decode: dd }],
  [PGN.CCVS, { name: 'CCVS', maxBytes: 8, decode: ccvs }],
  [PGN.VDHR, { name: 'VDHR', maxBytes: 8, decode: vdhr }],
  [PGN.VD, { name: 'VD', maxBytes: 8, decode: vd }],
  [PGN.HOURS, { name: 'HOURS', maxBytes: 8, decode: hours }],
  [PGN.TIRE, { name: 'TIRE', maxBytes: 8, decode: tire }],
  [PGN.VI, { name: 'VI', maxBytes: 200, decode: vi }],
  [PGN.DM1, { name: 'DM1', maxBytes: TP_MAX_BYTES, decode: dm1 }],
]);
