import type { Command } from './command.js';
import { versionCommand } from './version.js';
import { caCommand } from './ca.js';

/**
 * Every subcommand of the one executable, one line each. Static imports only:
 * the whole CLI bundles into a single file.
 */
export const commands: Command[] = [
  versionCommand,
  caCommand,
];
