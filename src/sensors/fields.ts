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
