import { errorMessage } from '../base/errors.js';
import type { Check, CheckResult, SelftestContext } from './check.js';
import type { GnssSample } from './probe-types.js';

export interface CheckOutcome extends CheckResult {
  id: string;
  title: string;
  ms: number;
}

/** How long the shared GNSS sample reads the UART at most. */
export const GNSS_SAMPLE_MS = 5000;

export type ContextInput = Omit<SelftestContext, 'gnss' | 'signal'>;

/**
 * Runs the checks concurrently (the whole run must stay well under 15 s), each bounded
 * by its own timeout; a check that throws or times out is a FAIL, never a crash.
 * Results come back in the checks' order.
 */
export async function runChecks(checks: Check[], input: ContextInput): Promise<CheckOutcome[]> {
  const abort = new AbortController();
  let sample: Promise<GnssSample | null> | undefined;
  const ctx: SelftestContext = {
    ...input,
    signal: abort.signal,
    gnss: () => (sample ??= input.probes.gnss ? input.probes.gnss.sample(GNSS_SAMPLE_MS, abort.signal) : Promise.resolve(null)),
  };
  try {
    return await Promise.all(checks.map((c) => runOne(c, ctx)));
  } finally {
    abort.abort();
  }
}

async function runOne(check: Check, ctx: SelftestContext): Promise<CheckOutcome> {
  const t0 = ctx.clock.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'FAIL',
          summary: `no answer within ${(check.timeoutMs / 1000).toFixed(1)} s`,
          reason: 'the check timed out (a device or the network did not answer)',
          fix: `run 'geostream selftest --only ${check.id}' again; if it hangs again, check that part's wiring or connection`,
        }),
      check.timeoutMs,
    );
  });
  let result: CheckResult;
  try {
    result = await Promise.race([check.run(ctx), timeout]);
  } catch (err) {
    result = { status: 'FAIL', summary: 'the check itself failed', reason: errorMessage(err), fix: 'report this with the output of: GEOSTREAM_DEBUG=1 geostream selftest' };
  } finally {
    clearTimeout(timer);
  }
  return { id: check.id, title: check.title, ms: Math.round(ctx.clock.now() - t0), ...result };
}
