import type { Command } from './command.js';
import { versionCommand } from './version.js';
import { sensorsCommand } from './sensors.js';
import { gpioCommand } from './gpio.js';

/**
 * Every subcommand of the one executable, one line each. Static imports only:
 * the whole CLI bundles into a single file.
 */
export const commands: Command[] = [
  versionCommand,
  sensorsCommand,
  gpioCommand,
];
