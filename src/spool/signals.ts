import type { Logger } from '../base/log.js';
import type { Spool } from './spool.js';

/**
 * Flushes and closes the spool on SIGTERM/SIGINT (systemd stop, Ctrl-C), then exits: 0 after
 * SIGTERM (a clean stop for systemd), 130 after SIGINT (the shell convention). A second signal
 * while flushing exits at once. Returns a function that removes the handlers. The agent also
 * calls spool.flush() itself when the ignition goes off.
 */
export function flushOnSignals(spool: Spool, log?: Logger, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let busy = false;
  const handler = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? 130 : 0;
    if (busy) {
      exit(code);
      return;
    }
    busy = true;
    log?.info(`spool: ${sig}: committing before exit`);
    spool.close().then(
      () => exit(code),
      (err: unknown) => {
        log?.error(`spool: flush on ${sig} failed: ${String(err)}`);
        exit(code);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
