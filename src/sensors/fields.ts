import { TELEMETRY_V1, type TelemetryRecord } from '../codec/index.js';

/**
 * The vehicle fields of a TelemetryRecord (defined by the codec), at
 * the schema's integer resolution: batteryMv, rpm, coolantDc (0.1 °C), oilKpa,
 * fuelPm (per mille), tyresKpa (one per configured position, null when unknown or
 * expired), cabinDc, humidityPm, ignition, faults (bits in faults.ts).
 * Absent = unknown or expired.
 */
export type VehicleFields = Pick<TelemetryRecord, 'batteryMv' | 'rpm' | 'coolantDc' | 'oilKpa' | 'fuelPm' | 'tyresKpa' | 'cabinDc' | 'humidityPm' | 'ignition' | 'faults'>;

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
