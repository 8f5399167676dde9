import type { Clock } from '../util/clock.js';
import type { Config } from '../config/config.js';
import type { SelftestProbes, GnssSample } from './probes.js';

/** WARN is shown but does not fail the run; FAIL makes `geostream selftest` exit 1. */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckResult {
  status: CheckStatus;
  /** One line: what was found (PASS) or what is wrong (WARN/FAIL) or why not run (SKIP). */
  summary: string;
  /** WARN/FAIL: why it matters or what exactly failed. */
  reason?: string;
  /** WARN/FAIL: what the technician does about it. */
  fix?: string;
}

export interface SelftestContext {
  /** Undefined when the config did not load (the 'config' check says why). */
  config?: Config;
  /** Directory with device.crt, device.key and ca.crt. */
  tlsDir: string;
  clock: Clock;
  probes: SelftestProbes;
  /** One shared read of the GNSS receiver (UART, fix and clock checks use the same sample); null without a GNSS probe. */
  gnss(): Promise<GnssSample | null>;
  signal: AbortSignal;
}

export interface Check {
  id: string;
  title: string;
  /** Longest this check may take; the runner fails it with "timed out" after that. */
  timeoutMs: number;
  run(ctx: SelftestContext): Promise<CheckResult>;
}

export const pass = (summary: string): CheckResult => ({ status: 'PASS', summary });
export const skip = (summary: string): CheckResult => ({ status: 'SKIP', summary });
export const fail = (summary: string, reason: string, fix: string): CheckResult => ({ status: 'FAIL', summary, reason, fix });
export const warn = (summary: string, reason: string, fix: string): CheckResult => ({ status: 'WARN', summary, reason, fix });

/** A probe's failure with the reason and the fix a technician needs. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** Result for a check whose config did not load. */
export const needsConfig = (): CheckResult => skip('needs a valid config (see the config row)');
