/**
 * Retry delays for a failing receiver: doubling from `baseMs` to `maxMs`, each
 * scaled by a factor in [0.5, 1) from `random` so a fleet of servers does not retry
 * in step. Pure: the caller owns the timer.
 */
export function backoffMs(failures: number, o: { baseMs: number; maxMs: number }, random: () => number): number {
  const d = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(d * (0.5 + random() / 2));
}
