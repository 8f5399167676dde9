import { TELEMETRY_V1 } from '../codec/index.js';

/**
 * The vehicle fields of a TelemetryRecord (CONTRACTS.md, owned by the codec), at the
 * schema's integer resolution. Absent = unknown or expired.
 */
export interface VehicleFields {
  batteryMv?: number;
  rpm?: number;
  /** 0.1 °C */
  coolantDc?: number;
  oilKpa?: number;
  /** per mille */
  fuelPm?: number;
  /** One per configured tyre position; null when that tyre is unknown or expired. */
  tyresKpa?: (number | null)[];
  /** 0.1 °C */
  cabinDc?: number;
  /** per mille relative humidity */
  humidityPm?: number;
  ignition?: boolean;
  /** Bitmask, see faults.ts. */
  faults?: number;
}

export type ScalarField = Exclude<keyof VehicleFields, 'tyresKpa' | 'ignition' | 'faults'>;

/**
 * Whether the telemetry schema can carry `value` in `field` (e.g. fuelPm 0..1000,
 * oilKpa and tyre kPa unsigned). A reading it cannot carry is sent absent with its
 * range bit set: never clamped into range, never a record the codec rejects.
 */
export function representable(field: ScalarField | 'tyresKpa', value: number): boolean {
  const f = TELEMETRY_V1.byName.get(field);
  if (!f) return false;
  try {
    f.toWire(field === 'tyresKpa' ? [value] : value);
    return true;
  } catch {
    return false;
  }
}
