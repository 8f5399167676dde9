import type { Command } from './command.js';
import { versionCommand } from './version.js';
import { nmeaCommand } from './nmea.js';
import { runCommand } from './run.js';
import { spoolCommand } from './spool.js';
import { caCommand } from './ca.js';
import { codecCommand } from './codec.js';
import { sensorsCommand } from './sensors.js';
import { gpioCommand } from './gpio.js';
import { selftestCommand } from './selftest.js';
import { statusCommand } from './status.js';
import { logsCommand } from './logs.js';
import { serverCommand } from './server.js';
import { demoCommand } from './demo.js';

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
  selftestCommand,
  statusCommand,
  logsCommand,
  serverCommand,
  demoCommand,
];
