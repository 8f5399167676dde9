import type { Logger } from '../base/log.js';
import { envVar } from '../base/env.js';
import type { RetryMode } from './ngtcp2-retry.js';

export interface Ngtcp2EngineOptions {
  /** Where the server's socket-buffer warning goes (once per process). */
  log?: Logger;
  /**
   * Device: what to do when the route to the server changes (the socket is unconnected
   * on the wildcard address, so the kernel already sends on the new route and the
   * server follows that passively).
   * - 'fallback' (default): migrate actively (new socket, new connection ID) only if
   *   nothing arrives from the server within activeFallbackMs of the change;
   * - 'always': migrate actively at once on every change (holding packets while the
   *   route is in flux). Works, but ngtcp2 0.12.1's server occasionally closes with
   *   CONNECTION_ID_LIMIT when a passive and an active move overlap (fixed upstream in
   *   ngtcp2 1ffa646c), so it is not the default with Debian's library;
   * - 'off' (or false): passive only.
   */
  activeMigration?: 'fallback' | 'always' | 'off' | boolean;
  /** 'fallback' mode: silence after a route change that triggers an active migration, ms (default 500). */
  activeFallbackMs?: number;
  /** Server: address validation by Retry (ngtcp2-retry.ts; default 'auto': under pressure only). */
  retry?: RetryMode;
  /** Server: how long a Retry token is good for, ms (default RETRY_TOKEN_TTL_MS). */
  retryTokenTtlMs?: number;
  /** Server: tell clients not to migrate actively (transport parameter; default false). */
  disableActiveMigration?: boolean;
  /** Route poll interval, ms (default 1000; `ip monitor` events act at once). */
  routePollMs?: number;
  /** Silence (with data in flight) that counts as an outage, ms (default 1500). */
  outageAfterMs?: number;
  /** Probe interval during an outage, ms (default 800): bounds recovery after the path returns. Each probe is a small PING (about 45 bytes) that stays in flight until the path returns: 180 s of them is about 10 KB, under the initial congestion window (about 12 KB), which they must not exhaust. */
  outageProbeMs?: number;
}

/** TLS key log file for a connection: its own option, else SSLKEYLOGFILE. */
export function keyLog(opt: string | undefined): string | undefined {
  return opt ?? envVar('SSLKEYLOGFILE');
}

/** qlog output (one file per connection), like SSLKEYLOGFILE an operator's switch: GEOSTREAM_QLOG_DIR. */
export function qlogDir(): string | undefined {
  return envVar('GEOSTREAM_QLOG_DIR');
}
