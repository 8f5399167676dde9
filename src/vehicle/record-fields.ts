import { TELEMETRY, type TelemetryRecord } from '../codec/index.js';
import type { VehicleValues } from './values.js';

/** The record fields the CAN bus fills (telemetry schema v2), at the schema's resolution. */
export type CanFields = Pick<
  TelemetryRecord,
  'rpm' | 'coolantDc' | 'fuelPm' | 'tyresKpa' | 'fuelRateMlh' | 'wheelSpeedCms' | 'fuelUsedDl' | 'odometerM' | 'engineSecs' | 'dtcs' | 'vin'
>;

const MAX_DTCS = 32;

/** `value` when the schema can carry it in `field`, else undefined (never clamped). */
function fit<K extends keyof CanFields>(field: K, value: CanFields[K] | undefined): CanFields[K] | undefined {
  if (value === undefined) return undefined;
  try {
    TELEMETRY.byName.get(field)!.toWire(value);
    return value;
  } catch {
    return undefined;
  }
}

const round = (v: number | undefined, k: number): number | undefined => (v === undefined ? undefined : Math.round(v * k));

/** Bus values as record fields (the VIN is handled by VinOnce). Absent stays absent. */
export function canFields(v: VehicleValues): CanFields {
  const out: CanFields = {};
  const set = <K extends keyof CanFields>(k: K, value: CanFields[K] | undefined): void => {
    const x = fit(k, value);
    if (x !== undefined) out[k] = x;
  };
  set('rpm', round(v.engineRpm, 1));
  set('coolantDc', round(v.coolantC, 10));
  set('fuelPm', round(v.fuelLevelPct, 10));
  if (v.tires?.length) set('tyresKpa', v.tires.slice(0, 16).map((t) => (t.pressureKpa === undefined ? null : Math.round(t.pressureKpa))));
  set('fuelRateMlh', round(v.fuelRateLph, 1000));
  set('wheelSpeedCms', round(v.speedKmh, 100 / 3.6));
  set('fuelUsedDl', round(v.fuelUsedL, 10));
  set('odometerM', round(v.totalDistanceKm, 1000));
  set('engineSecs', round(v.engineHours, 3600));
  if (v.dtcs) set('dtcs', v.dtcs.slice(0, MAX_DTCS).map((d) => d.code));
  return out;
}

/** The VIN in the first record after it is read, after it changes, and after each reset(). */
export class VinOnce {
  private sent: string | undefined;

  take(vin: string | undefined): string | undefined {
    if (vin === undefined || vin === this.sent || fit('vin', vin) === undefined) return undefined;
    this.sent = vin;
    return vin;
  }

  reset(): void {
    this.sent = undefined;
  }
}

/** Sensor fields over bus fields: a wired sensor the board names wins where both have a value. */
export function mergeFields<S extends object>(sensors: S, bus: CanFields | undefined): S & CanFields {
  if (!bus) return sensors as S & CanFields;
  const out: Record<string, unknown> = { ...bus };
  for (const [k, v] of Object.entries(sensors)) if (v !== undefined) out[k] = v;
  return out as S & CanFields;
}
