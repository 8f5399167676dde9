import type { Command } from './command.js';

/** A row of the command table: the word after `geostream`, and its module. */
export interface CommandEntry {
  name: string;
  /** Imports the command's module (when the command runs or prints its usage). */
  load(): Promise<Command>;
}

/**
 * Every subcommand of the one executable, one line each. Each module is imported when
 * its command is used, by a dynamic import of a literal path: the whole CLI still
 * bundles into a single file, but `geostream run` never evaluates the server, SQLite,
 * the CA's X.509 code or the self-test (it would add to the agent's RSS).
 */
export const commands: CommandEntry[] = [
  { name: 'version', load: async () => (await import('./version.js')).versionCommand },
  { name: 'nmea', load: async () => (await import('./nmea.js')).nmeaCommand },
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'spool', load: async () => (await import('./spool.js')).spoolCommand },
  { name: 'ca', load: async () => (await import('./ca.js')).caCommand },
  { name: 'codec', load: async () => (await import('./codec.js')).codecCommand },
  { name: 'sensors', load: async () => (await import('./sensors.js')).sensorsCommand },
  { name: 'gpio', load: async () => (await import('./gpio.js')).gpioCommand },
  { name: 'selftest', load: async () => (await import('./selftest.js')).selftestCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'logs', load: async () => (await import('./logs.js')).logsCommand },
  { name: 'server', load: async () => (await import('./server.js')).serverCommand },
  { name: 'export', load: async () => (await import('./export.js')).exportCommand },
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'can', load: async () => (await import('./can.js')).canCommand },
];

/** The command of a table row; a row whose module exports another command is a bug. */
export async function loadCommand(entry: CommandEntry): Promise<Command> {
  const cmd = await entry.load();
  if (cmd.name !== entry.name) throw new Error(`command table: '${entry.name}' loads the command '${cmd.name}'`);
  return cmd;
}
