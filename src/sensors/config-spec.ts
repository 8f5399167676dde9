import type { Spec } from '../config/schema.js';

/** Sensor sampling schedule. Owned by the sensors work. */
export const sensorsSpec = {
  type: 'object',
  optional: true,
  fields: {},
} as const satisfies Spec;
