/**
 * Address validation by Retry (RFC 9000 8.1.2) on the ngtcp2 server's accept path. An
 * Initial without a token may be answered with a Retry (about 140 bytes for the 1200 or
 * more it answers, and nothing kept): a client at that address sends its Initial again
 * with the Retry's token, which binds its address and port, the Retry's connection ID and
 * the original destination connection ID under a secret of this listener, for
 * RETRY_TOKEN_TTL_MS. Spoofed sources never see the Retry, so they can no longer fill the
 * handshake bounds. A Retry token that does not verify (forged, expired, from another
 * address, replayed for another connection ID) is refused before anything is built, and
 * answered with CONNECTION_CLOSE INVALID_TOKEN (smaller than the Initial).
 */
import { randomBytes } from 'node:crypto';
import type { Address } from './engine.js';
import { loadNative } from './native-loader.js';

/**
 * 'auto' (default): Retry only under pressure (many handshakes in progress, in all or
 * from the sender's address), so a normal connect costs no extra round trip;
 * 'always': every new connection proves its address first (one more round trip);
 * 'off': never (the handshake bounds alone hold a flood).
 */
export type RetryMode = 'auto' | 'always' | 'off';
export const RETRY_MODES: readonly RetryMode[] = ['auto', 'always', 'off'];
export const DEFAULT_RETRY_MODE: RetryMode = 'auto';

/**
 * How long a Retry token is good for, ms: the client answers a Retry within one round
 * trip, and its retransmissions of that Initial (probe timeouts of 1, 2 s) fit too.
 */
export const RETRY_TOKEN_TTL_MS = 5000;

/** Why an Initial with a Retry token is refused (a stats key and a log reason). */
export const INVALID_TOKEN = 'Retry token does not verify (forged, expired, or for another address)';

/** What the accept path does with an acceptable Initial. */
export type RetryVerdict =
  /** Go on to the handshake bounds; odcid set when the Initial's token verified. */
  | { kind: 'admit'; odcid?: Buffer }
  /** Answer with this Retry and build nothing. */
  | { kind: 'retry'; packet: Buffer }
  /** Drop it (a token that does not verify), answering with `close` when there is one. */
  | { kind: 'refuse'; why: string; close: Buffer | null };

export class RetryGate {
  /** The secret of this listener's tokens: random, so they die with the process. */
  private readonly secret = randomBytes(32);
  /** Retry packets sent. */
  sent = 0;
  /** Initials whose Retry token verified (each became a connection, or met the bounds). */
  accepted = 0;
  /** Initials whose Retry token did not verify. */
  refused = 0;

  constructor(
    readonly mode: RetryMode,
    private readonly ttlMs = RETRY_TOKEN_TTL_MS,
  ) {}

  /**
   * The verdict on `pkt`, an Initial that passed the cheap checks, from `from` at time
   * `t` (ms, the engine's clock); `pressure`: the handshakes in progress are many.
   */
  check(pkt: Buffer, from: Address, pressure: boolean, t: number): RetryVerdict {
    const native = loadNative();
    const token = native.retryToken(this.secret, pkt, from.host, from.port, this.ttlMs, t);
    if (token.status === 'valid') {
      this.accepted++;
      return { kind: 'admit', odcid: token.odcid! };
    }
    if (token.status === 'invalid') {
      this.refused++;
      return { kind: 'refuse', why: INVALID_TOKEN, close: native.invalidTokenClose(pkt) };
    }
    if (this.mode === 'off' || (this.mode === 'auto' && !pressure)) return { kind: 'admit' };
    const packet = native.retry(this.secret, pkt, from.host, from.port, t);
    if (!packet) return { kind: 'admit' };
    this.sent++;
    return { kind: 'retry', packet };
  }
}
