import type { Spec } from '../config/schema.js';

/** The UART the GNSS receiver is on. Owned by the GNSS/HAL work. */
export const uartSpec = {
  type: 'object',
  fields: {
    path: { type: 'string', doc: 'device path, e.g. /dev/serial0; "sim" on the simulated board' },
    baud: { type: 'integer', min: 1200, max: 921600, default: 9600 },
    capture: { type: 'string', optional: true, doc: 'sim board only: a raw NMEA capture to replay (relative to the board file); default: the route generator' },
    speed: { type: 'number', min: 0.1, max: 1000, default: 1, doc: 'sim board only: replay/generation speed factor' },
    rateHz: { type: 'integer', min: 1, max: 10, default: 1, doc: 'sim board only: generator epochs per second' },
  },
} as const satisfies Spec;

/** I2C bus and chips. Owned by the sensors work. */
export const i2cSpec = {
  type: 'object',
  optional: true,
  fields: {
    bus: { type: 'integer', min: 0, max: 31, default: 1 },
  },
} as const satisfies Spec;

/** GPIO lines by BCM number. Owned by the sensors/status work. */
export const gpioSpec = {
  type: 'object',
  optional: true,
  fields: {
    chipLabel: { type: 'string', optional: true },
  },
} as const satisfies Spec;
