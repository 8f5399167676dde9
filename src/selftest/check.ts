import type { Clock } from '../base/clock.js';
import type { Config } from '../agent/config.js';
import type { SelftestProbes, GnssSample } from './probe-types.js';

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
  /** Why the hardware probes could not be loaded (a native addon that does not load here); unset when they loaded. */
  probesUnavailable?: string;
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

/** The fix when the code that drives the hardware cannot load: an addon built for another Node or CPU. */
export const FIX_ADDONS =
  'this executable carries a native addon that cannot load on this device (see the native addons row): build the executable again with make package-arm64 (the build loads every addon under its Node and refuses a wrong one) and install it';

/**
 * Result for a check whose probe is missing: FAIL when the probes could not be loaded
 * (the part was never tested), SKIP when this config simply has no such part.
 */
export function noProbe(ctx: SelftestContext, part: string): CheckResult {
  if (ctx.probesUnavailable) return fail(`${part} not checked: the hardware code did not load`, ctx.probesUnavailable, FIX_ADDONS);
  return skip(`no ${part} in this config`);
}

/** Result for a check whose config did not load. */
export const needsConfig = (): CheckResult => skip('needs a valid config (see the config row)');
