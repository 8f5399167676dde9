import type { Spec } from '../config/schema.js';

/** Acquisition filter rules (like a commercial tracker's). Owned by the GNSS work. */
export const samplingSpec = {
  type: 'object',
  fields: {
    minPeriodS: { type: 'number', min: 0.1, max: 86400, default: 1 },
  },
} as const satisfies Spec;

/** GNSS receiver options. */
export const gnssSpec = {
  type: 'object',
  fields: {
    noDataTimeoutS: { type: 'number', min: 1, max: 600, default: 5 },
  },
} as const satisfies Spec;
