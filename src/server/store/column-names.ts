/**
 * The decoded columns of the `records` table by name, and the Position key each one is
 * read into. Values are in user units (degrees, metres, m/s, ...): the wire's scaled
 * integers divided by their scale, which prints as the shortest decimal and converts
 * back exactly. No imports: the operator console bundles it (the fields it asks a track for).
 */
export const COLUMN_NAMES = [
  'lat', 'lon', 'alt_m', 'speed_mps', 'course_deg', 'mode', 'sats', 'hdop', 'ignition',
  'battery_v', 'rpm', 'coolant_c', 'oil_kpa', 'fuel_pct', 'tyres_kpa', 'cabin_c', 'humidity_pct', 'faults',
  'fuel_rate_lh', 'wheel_speed_mps', 'fuel_used_l', 'odometer_km', 'engine_h', 'dtcs', 'vin',
] as const;

export type ColumnName = (typeof COLUMN_NAMES)[number];

/** Each column's Position key. */
export const COLUMN_KEY = {
  lat: 'lat', lon: 'lon', alt_m: 'altM', speed_mps: 'speedMps', course_deg: 'courseDeg', mode: 'mode', sats: 'sats', hdop: 'hdop', ignition: 'ignition',
  battery_v: 'batteryV', rpm: 'rpm', coolant_c: 'coolantC', oil_kpa: 'oilKpa', fuel_pct: 'fuelPct', tyres_kpa: 'tyresKpa', cabin_c: 'cabinC', humidity_pct: 'humidityPct', faults: 'faults',
  fuel_rate_lh: 'fuelRateLh', wheel_speed_mps: 'wheelSpeedMps', fuel_used_l: 'fuelUsedL', odometer_km: 'odometerKm', engine_h: 'engineH', dtcs: 'dtcs', vin: 'vin',
} as const satisfies Record<ColumnName, string>;

/** The fields every position has besides its device: its key and times (the columnar document's first columns). */
export const POSITION_KEY_FIELDS = ['spool', 'seq', 'timeMs', 'receivedMs'] as const;

/** Position key -> its column (in COLUMN_NAMES order). */
export const COLUMN_OF_KEY: ReadonlyMap<string, ColumnName> = new Map(COLUMN_NAMES.map((n) => [COLUMN_KEY[n], n]));
