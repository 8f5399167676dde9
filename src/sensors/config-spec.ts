import type { Spec } from '../base/spec.js';

/** Sensor sampling schedule. */
export const sensorsSpec = {
  type: 'object',
  optional: true,
  fields: {
    enabled: { type: 'boolean', default: true, doc: 'false: no I2C sensors, tach or ignition (LEDs still run)' },
    engineMs: { type: 'integer', min: 100, max: 3_600_000, default: 1000, doc: 'battery, fuel, oil, coolant, rpm' },
    tyresMs: { type: 'integer', min: 100, max: 3_600_000, default: 10_000 },
    cabinMs: { type: 'integer', min: 100, max: 3_600_000, default: 30_000 },
    periods: {
      type: 'map',
      optional: true,
      keyPattern: /^(battery|fuel|oil|coolant|rpm|cabin|tyre-[a-z0-9-]+)$/,
      values: { type: 'integer', min: 100, max: 3_600_000 },
      doc: 'per-sensor period overriding its group, e.g. {"fuel": 5000}',
    },
    expiryPeriods: { type: 'number', min: 1, max: 100, default: 3, doc: 'a value older than this many periods is sent as absent' },
    retryMs: { type: 'integer', min: 10, max: 60_000, default: 500, doc: 'first retry after a failed read; doubles per failure' },
    maxBackoffMs: { type: 'integer', min: 100, max: 3_600_000, default: 60_000 },
    failAfter: { type: 'integer', min: 1, max: 100, default: 3, doc: 'consecutive failures before the sensor is marked failed' },
    staleAfter: { type: 'integer', min: 1, max: 100, default: 3, doc: 'consecutive stale reads before a tyre sensor is marked stale' },
  },
} as const satisfies Spec;
