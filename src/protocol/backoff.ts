/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a
 * fleet that lost its server at the same moment does not come back in lockstep,
 * yet no device retries immediately. Randomness is injected (tests pass a sequence).
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 60_000 };

/** Delay before attempt `attempt` (0 = first retry). random() returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const cap = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(cap / 2 + (r * cap) / 2);
}
