import type { Command } from './command.js';
import { versionCommand } from './version.js';
import { nmeaCommand } from './nmea.js';
import { runCommand } from './run.js';
import { spoolCommand } from './spool.js';
import { caCommand } from './ca.js';
import { codecCommand } from './codec.js';
import { sensorsCommand } from './sensors.js';
import { gpioCommand } from './gpio.js';

/**
 * Every subcommand of the one executable, one line each. Static imports only:
 * the whole CLI bundles into a single file.
 */
export const commands: Command[] = [
  versionCommand,
  nmeaCommand,
  runCommand,
  spoolCommand,
  caCommand,
  codecCommand,
  sensorsCommand,
  gpioCommand,
];
