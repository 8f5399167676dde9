/**
 * The numbers this side and the ngtcp2 addon (native/src/constants.h) must agree on:
 * event and status codes, limits, defaults and the codes of the errors it throws.
 * The addon exports its own (`constants`); checkNativeConstants() compares the two
 * when the addon is loaded, so an addon built from other sources fails at load with
 * the name of the first constant that differs, not later with a wrong event.
 */
import { QuicError } from './engine.js';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_MS } from '../protocol/transport.js';

export enum NativeEvent {
  Handshake = 1,
  Confirmed = 2,
  StreamOpen = 3,
  StreamData = 4,
  StreamClose = 5,
  StreamReset = 6,
  StopSending = 7,
  StreamsCredit = 8,
  Path = 9,
  ScidNew = 10,
  ScidRetired = 11,
  Acked = 12,
}

/** What a call that can fail returns; all but Ok are negative, in place of a count or a stream id. */
export enum NativeStatus {
  Ok = 0,
  Draining = -1,
  Error = -2,
  Idle = -3,
  Drop = -4,
  HandshakeTimeout = -5,
  /** openStream: the peer's stream limit is reached. */
  Blocked = -6,
  /** write: the stream cannot take data (unknown, ended or reset). */
  Closed = -7,
}

export const NATIVE_LIMITS = {
  /** Length of the connection IDs the addon issues (the server's routing key). */
  scidLen: 16,
  resetKeyMin: 16,
  resetKeyMax: 64,
  /** Longest timeout or interval an option takes, ms. */
  maxTimeoutMs: 0xffff_ffff,
  /** Latest nowMs a call takes. */
  maxTimeMs: 1e13,
  /** Longest connection ID (RFC 9000 17.2). */
  maxCidLen: 20,
  /** Smallest datagram carrying a client's first Initial (RFC 9000 14.1). */
  minInitialBytes: 1200,
} as const;

/** Defaults the addon applies to options left out; idle and keep-alive are geostream/1.0's. */
export const NATIVE_DEFAULTS = {
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  keepAliveMs: KEEP_ALIVE_MS,
  handshakeTimeoutMs: 10_000,
  outageAfterMs: 1500,
  outageProbeMs: 800,
} as const;

/**
 * The code of every error the addon throws: `arg` on a TypeError for an argument of
 * the wrong type or out of range (the message names it), `failed` on an Error for an
 * operation that failed (certificate unparsable, not an acceptable Initial, ...).
 */
export const NATIVE_ERRORS = { arg: 'ERR_GEOSTREAM_QUIC_ARG', failed: 'ERR_GEOSTREAM_QUIC' } as const;

type Table = Readonly<Record<string, number | string>>;

/** A numeric enum's names and values, without TypeScript's reverse mapping. */
function enumTable(e: Record<string, string | number>): Table {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number'));
}

const EXPECTED: Readonly<Record<string, Table>> = {
  events: enumTable(NativeEvent),
  status: enumTable(NativeStatus),
  limits: NATIVE_LIMITS,
  defaults: NATIVE_DEFAULTS,
  errors: NATIVE_ERRORS,
};

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Throws QuicError('internal') naming the first constant in which `got` (the addon's
 * `constants`) differs from this side's, or that one side lacks.
 */
export function checkNativeConstants(got: unknown): void {
  const fail = (what: string): never => {
    throw new QuicError('internal', `the ngtcp2 addon does not match this build (rebuild it: make native): ${what}`);
  };
  if (typeof got !== 'object' || got === null) fail('it exports no constants');
  const addon = got as Record<string, unknown>;
  for (const group of new Set([...Object.keys(EXPECTED), ...Object.keys(addon)])) {
    const want = EXPECTED[group];
    const have = addon[group];
    if (!want) fail(`constants.${group} is unknown here`);
    if (typeof have !== 'object' || have === null) fail(`constants.${group} is missing in the addon`);
    const h = have as Record<string, unknown>;
    for (const name of new Set([...Object.keys(want!), ...Object.keys(h)])) {
      if (!(name in want!)) fail(`constant ${group}.${name} (${show(h[name])} in the addon) is unknown here`);
      if (!(name in h)) fail(`constant ${group}.${name} (${show(want![name])} here) is missing in the addon`);
      if (h[name] !== want![name]) fail(`constant ${group}.${name} is ${show(h[name])} in the addon, ${show(want![name])} here`);
    }
  }
}
