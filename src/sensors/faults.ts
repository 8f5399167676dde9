/**
 * Fault bits of a telemetry record's `faults` field (the codec carries the number;
 * this file defines what each bit means). Low byte: the sensor failed (no answer,
 * bus error, diagnostic status: its value is absent). High byte: the value is
 * present but outside the physical range (reported as measured, never clamped).
 * Bit 15: a tyre sensor keeps returning stale data.
 */
export const FAULT = {
  battery: 1 << 0,
  fuel: 1 << 1,
  oil: 1 << 2,
  coolant: 1 << 3,
  rpm: 1 << 4,
  cabin: 1 << 5,
  tyres: 1 << 6,
  ignition: 1 << 7,
  batteryRange: 1 << 8,
  fuelRange: 1 << 9,
  oilRange: 1 << 10,
  coolantRange: 1 << 11,
  rpmRange: 1 << 12,
  cabinRange: 1 << 13,
  tyresRange: 1 << 14,
  stale: 1 << 15,
} as const;

export type FaultName = keyof typeof FAULT;

/** The names of the bits set in `bits`, in bit order. */
export function faultNames(bits: number): FaultName[] {
  return (Object.keys(FAULT) as FaultName[]).filter((k) => (bits & FAULT[k]) !== 0);
}
