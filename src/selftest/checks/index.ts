import type { Check } from '../check.js';
import { configCheck } from './config.js';
import { addonsCheck } from './addons.js';
import { uartCheck } from './uart.js';
import { gnssFixCheck } from './gnss-fix.js';
import { i2cCheck } from './i2c.js';
import { canCheck } from './can.js';
import { ledsCheck } from './leds.js';
import { ignitionCheck } from './ignition.js';
import { spoolCheck } from './spool.js';
import { clockCheck } from './clock.js';
import { certCheck } from './cert.js';
import { serverCheck } from './server.js';

/** Every self-test check, in the order of the report. */
export const checks: Check[] = [
  configCheck,
  addonsCheck,
  uartCheck,
  gnssFixCheck,
  i2cCheck,
  canCheck,
  ledsCheck,
  ignitionCheck,
  spoolCheck,
  clockCheck,
  certCheck,
  serverCheck,
];
