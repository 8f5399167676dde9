import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { envVar } from './env.js';

export type { Logger };

/**
 * One readable line per event on stdout (journald keeps it; `journalctl -f` over SSH
 * shows it as is). Timestamps only on a terminal: journald adds its own.
 * The pretty stream runs synchronously in this process (no worker thread), so it
 * bundles into the single executable.
 */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream; json?: boolean } = {}): Logger {
  const level = opts.level ?? envVar('GEOSTREAM_LOG_LEVEL') ?? 'info';
  const dest = opts.destination ?? process.stdout;
  if (opts.json) return pino({ level, base: undefined }, dest);
  const isTty = (dest as { isTTY?: boolean }).isTTY === true;
  const stream = pretty({
    destination: dest,
    sync: true,
    colorize: isTty,
    singleLine: true,
    translateTime: isTty ? 'SYS:HH:MM:ss.l' : false,
    ignore: isTty ? 'pid,hostname,component' : 'pid,hostname,time,component',
    messageFormat: '{if component}{component}: {end}{msg}',
  });
  return pino({ level, base: undefined, redact: { paths: ['key', '*.key', 'password', '*.password', 'privateKey', '*.privateKey'], censor: '[redacted]' } }, stream);
}

/** A logger that prints nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Logs a component's state only when it changes, so a failing part logs its
 * transition once instead of flooding the journal with every retry.
 */
export class StateLog<S extends string> {
  private current: S | undefined;
  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}
  get state(): S | undefined {
    return this.current;
  }
  set(state: S, detail?: string, level: 'info' | 'warn' | 'error' = 'info'): boolean {
    if (state === this.current) return false;
    const prev = this.current;
    this.current = state;
    this.log[level](`${this.what} ${prev ? `${prev} -> ` : ''}${state}${detail ? ` (${detail})` : ''}`);
    return true;
  }
}
