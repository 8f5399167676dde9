import { createHmac } from 'node:crypto';

/**
 * The server's stateless reset key, derived from its TLS private key: the same after a
 * restart (so a restarted server resets the connections its predecessor held and their
 * devices reconnect at once instead of waiting for a timeout), secret as long as the
 * key is, and different for every server key.
 */
export function resetKeyOf(serverKeyPem: string): Buffer {
  return createHmac('sha256', serverKeyPem).update('geostream/1.0 QUIC stateless reset key').digest();
}

/**
 * At most `perSecond` stateless resets in each second (each answers one packet and is
 * smaller than it, so a flood of short-header junk cannot be amplified, only answered).
 */
export class ResetLimiter {
  private budget: number;
  private refilledAt = 0;

  constructor(private readonly perSecond: number) {
    this.budget = perSecond;
  }

  /** Whether one more reset may go out at time `t` (ms); takes it from the budget if so. */
  take(t: number): boolean {
    if (t - this.refilledAt >= 1000) {
      this.budget = this.perSecond;
      this.refilledAt = t;
    }
    if (this.budget <= 0) return false;
    this.budget--;
    return true;
  }
}
