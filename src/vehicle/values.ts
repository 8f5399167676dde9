/**
 * Engine and vehicle values read from the bus, in physical units, whatever the protocol
 * (J1939 on trucks, OBD-II on cars). A value the bus marked "not available" or "error" is
 * absent, never a number.
 */
export interface VehicleValues {
  engineRpm?: number;
  /** Actual engine torque, % of reference. */
  engineTorquePct?: number;
  coolantC?: number;
  fuelTempC?: number;
  oilTempC?: number;
  /** Engine fuel rate, L/h. */
  fuelRateLph?: number;
  /** Instantaneous fuel economy, km/L. */
  fuelEconomyKmL?: number;
  throttlePct?: number;
  /** Total fuel used over the engine's life, L. */
  fuelUsedL?: number;
  tripFuelL?: number;
  fuelLevelPct?: number;
  /** Wheel-based (J1939) or OBD vehicle speed, km/h. */
  speedKmh?: number;
  parkingBrake?: boolean;
  brakePedal?: boolean;
  clutchPedal?: boolean;
  cruiseActive?: boolean;
  /** Current gear (0 neutral, negative reverse). */
  gear?: number;
  totalDistanceKm?: number;
  tripDistanceKm?: number;
  engineHours?: number;
  engineRevolutions?: number;
  tires?: TireValues[];
  vin?: string;
  dtcs?: Dtc[];
  lamps?: WarningLamps;
}

/** One wheel's tyre (J1939 TIRE): axle counted front to back, position left to right, from 0. */
export interface TireValues {
  axle: number;
  position: number;
  pressureKpa?: number;
  temperatureC?: number;
  /** Air leakage rate, Pa/s. */
  leakPaS?: number;
}

/** A trouble code: J1939 SPN/FMI (code "SPN 190 FMI 2") or an OBD-II code ("P0301"). */
export interface Dtc {
  code: string;
  spn?: number;
  fmi?: number;
  occurrences?: number;
}

export interface WarningLamps {
  malfunction?: boolean;
  redStop?: boolean;
  amberWarning?: boolean;
  protect?: boolean;
}

/** `v` without its undefined keys (so a "not available" field is absent, not present as undefined). */
export function defined<T extends object>(v: T): T {
  for (const k of Object.keys(v) as (keyof T)[]) if (v[k] === undefined) delete v[k];
  return v;
}
