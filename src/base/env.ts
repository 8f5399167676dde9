/**
 * Every environment variable geostream reads, in one table with what it does. Code reads
 * them through envVar() only (eslint refuses `process.env` elsewhere in src/). An empty
 * value counts as unset.
 */
export const ENV_VARS = {
  GEOSTREAM_HOME: 'package root holding board/ and other data (default: beside the program; the executable sets it)',
  GEOSTREAM_BOARD_DIR: 'directory searched first for a board given by name (then /etc/geostream/board, then board/)',
  GEOSTREAM_CONFIG: 'config file of `geostream selftest` when --config is not given',
  GEOSTREAM_LOG_LEVEL: 'log level: trace, debug, info, warn, error (default info; warn for `geostream spool`)',
  GEOSTREAM_DEBUG: 'any value: a failing command also prints its stack',
  GEOSTREAM_ENTRY: '1: run the CLI even when the program file has another name',
  GEOSTREAM_STATUS_SOCKET: 'path of the agent\'s status socket (default: status.sock in $STATE_DIRECTORY, else /var/lib/geostream)',
  GEOSTREAM_JOURNALCTL: '`geostream logs`: journalctl command to run (and journald is taken as present)',
  GEOSTREAM_LOG_FILE: '`geostream logs` without journald: the log file to read',
  GEOSTREAM_QLOG_DIR: 'ngtcp2 engine: write a qlog trace of each QUIC connection into this directory',
  SSLKEYLOGFILE: 'write TLS secrets in NSS key log format (for Wireshark)',
  STATE_DIRECTORY: 'set by systemd (StateDirectory=): where the status socket goes',
  NOTIFY_SOCKET: 'set by systemd (Type=notify): where readiness, status and watchdog pings go',
  WATCHDOG_USEC: 'set by systemd (WatchdogSec=): the watchdog period in microseconds',
  WATCHDOG_PID: 'set by systemd: the process the watchdog is meant for',
  PATH: 'searched for udevadm, which names serial ports',
} as const;

export type EnvVar = keyof typeof ENV_VARS;

/** An environment: process.env, or a test's own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The process's environment, to pass whole to a child or to envVar(). */
export function processEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/** The value of one of geostream's variables, or undefined when unset or empty. */
export function envVar(name: EnvVar, env: Env = process.env): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
