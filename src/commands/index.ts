import type { Command } from './command.js';
import { versionCommand } from './version.js';
import { selftestCommand } from './selftest.js';
import { statusCommand } from './status.js';
import { logsCommand } from './logs.js';

/**
 * Every subcommand of the one executable, one line each. Static imports only:
 * the whole CLI bundles into a single file.
 */
export const commands: Command[] = [
  versionCommand,
  selftestCommand,
  statusCommand,
  logsCommand,
];
