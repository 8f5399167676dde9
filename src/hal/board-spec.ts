import type { Spec } from '../config/schema.js';

/** The UART the GNSS receiver is on. Owned by the GNSS/HAL work. */
export const uartSpec = {
  type: 'object',
  fields: {
    path: { type: 'string', doc: 'device path, e.g. /dev/serial0; "sim" on the simulated board' },
    baud: { type: 'integer', min: 1200, max: 921600, default: 9600 },
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
