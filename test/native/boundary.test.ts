/**
 * The ngtcp2 addon's boundary: every number that crosses into it is range-checked
 * (a TypeError naming the argument, never a silent cast), every error it throws
 * carries one of its two codes, failed calls return one status domain, and the
 * constants it shares with the loader are compared at load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative, nativeAvailable, type NativeBinding, type NativeConnection } from '../../src/quic/native-loader.js';
import { checkNativeConstants, NATIVE_ERRORS, NATIVE_LIMITS, NativeStatus } from '../../src/quic/native-constants.js';
import { QuicError } from '../../src/quic/engine.js';
import type { TlsMaterial } from '../../src/tls/material.js';
import { makePki, type Pki } from '../support/native-pki.js';

const BAD_NUMBERS: [unknown, string][] = [
  [-1, '-1'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'inf'],
  [1.5, '1.5'],
  [2 ** 64, '1.8446744073709552e+19'],
  ['7', 'a string'],
  [undefined, 'undefined'],
];

/** Runs f and returns what it threw (fails when it returned). */
function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

function expectArgError(f: () => unknown, name: string, got: string): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(TypeError);
  expect(e.code).toBe(NATIVE_ERRORS.arg);
  expect(e.message).toContain(name);
  expect(e.message).toContain(got);
}

describe.skipIf(!nativeAvailable())('ngtcp2 addon boundary', () => {
  let pki: Pki;
  let tls: TlsMaterial;
  let native: NativeBinding;
  const opts = (over: Record<string, unknown> = {}) => ({
    server: false,
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    alpn: ['geostream/1.0'],
    idleTimeoutMs: 10_000,
    keepAliveMs: 0,
    localHost: '127.0.0.1',
    localPort: 40_000,
    remoteHost: '127.0.0.1',
    remotePort: 4433,
    ...over,
  });
  const client = (): NativeConnection => new native.Connection(opts() as never, null, 1);

  beforeAll(async () => {
    pki = await makePki('native-boundary-');
    tls = await pki.device('VH-ARGS');
    native = loadNative();
  });
  afterAll(() => pki.cleanup());

  it('exports the constants the loader expects, and a mismatch names the constant', () => {
    expect(() => checkNativeConstants(native.constants)).not.toThrow();
    const bent = structuredClone(native.constants) as unknown as Record<string, Record<string, unknown>>;
    bent.status!.Closed = -8;
    expect(() => checkNativeConstants(bent)).toThrow(/constant status\.Closed is -8 in the addon, -7 here/);
    delete bent.status!.Closed;
    expect(() => checkNativeConstants(bent)).toThrow(/constant status\.Closed \(-7 here\) is missing in the addon/);
    const extra = { ...structuredClone(native.constants), limits: { ...native.constants.limits, maxStreams: 9 } };
    expect(() => checkNativeConstants(extra)).toThrow(/constant limits\.maxStreams \(9 in the addon\) is unknown here/);
    expect(() => checkNativeConstants(undefined)).toThrow(QuicError);
  });

  it('refuses a bad number in every option and argument with a TypeError naming it', () => {
    for (const key of ['localPort', 'remotePort', 'idleTimeoutMs', 'keepAliveMs', 'handshakeTimeoutMs', 'outageAfterMs', 'outageProbeMs']) {
      for (const [bad, got] of BAD_NUMBERS) {
        if (bad === undefined && key !== 'localPort' && key !== 'remotePort') continue; // optional: the default
        expectArgError(() => new native.Connection(opts({ [key]: bad }) as never, null, 1), key, got);
      }
    }
    expectArgError(() => new native.Connection(opts({ localPort: 65_536 }) as never, null, 1), 'localPort', '65536');
    expectArgError(() => new native.Connection(opts({ idleTimeoutMs: NATIVE_LIMITS.maxTimeoutMs + 1 }) as never, null, 1), 'idleTimeoutMs', '4294967296');
    const c = client();
    const pkt = new Uint8Array(100);
    for (const [bad, got] of BAD_NUMBERS) {
      if (bad !== 1.5) {
        // times may have fractions; everything else must be an integer
        expectArgError(() => c.flush(bad as number), 'nowMs', got);
        expectArgError(() => c.handleExpiry(bad as number), 'nowMs', got);
        expectArgError(() => c.recv(pkt, '127.0.0.1', 40_000, '127.0.0.1', 4433, bad as number), 'nowMs', got);
        expectArgError(() => native.retry(new Uint8Array(32), pkt, '127.0.0.1', 40_000, bad as number), 'nowMs', got);
        expectArgError(() => native.retryToken(new Uint8Array(32), pkt, '127.0.0.1', 40_000, 5000, bad as number), 'nowMs', got);
      }
      expectArgError(() => c.recv(pkt, '127.0.0.1', bad as number, '127.0.0.1', 4433, 2), 'localPort', got);
      expectArgError(() => c.recv(pkt, '127.0.0.1', 40_000, '127.0.0.1', bad as number, 2), 'remotePort', got);
      expectArgError(() => c.write(bad as number, pkt, false), 'stream id', got);
      expectArgError(() => c.unacked(bad as number), 'stream id', got);
      expectArgError(() => c.shutdownStream(0, bad as number), 'code', got);
      expectArgError(() => c.consumed(0, bad as number), 'bytes', got);
      expectArgError(() => c.close(bad as number, '', true, 2), 'code', got);
      expectArgError(() => c.migrate('127.0.0.1', bad as number, 2), 'localPort', got);
      expectArgError(() => c.setKeepAlive(bad as number), 'keepAliveMs', got);
      expectArgError(() => native.decodeCid(pkt, bad as number), 'shortDcidLen', got);
      expectArgError(() => native.statelessReset(new Uint8Array(32), pkt, bad as number), 'dcidLen', got);
      expectArgError(() => native.retry(new Uint8Array(32), pkt, '127.0.0.1', bad as number, 2), 'remotePort', got);
      expectArgError(() => native.retryToken(new Uint8Array(32), pkt, '127.0.0.1', 40_000, bad as number, 2), 'ttlMs', got);
    }
    expectArgError(() => native.retryToken(new Uint8Array(32), pkt, '127.0.0.1', 40_000, 2 ** 32, 2), 'ttlMs', '4294967296');
    expectArgError(() => native.retry(new Uint8Array(65), pkt, '127.0.0.1', 40_000, 2), 'retrySecret', '65');
    expectArgError(() => c.flush(1e13 + 1), 'nowMs', '10000000000001');
    expectArgError(() => c.write(2 ** 53, pkt, false), 'stream id', '9007199254740992');
    expectArgError(() => c.close(2 ** 53, '', true, 2), 'code', '9007199254740992');
    expectArgError(() => native.decodeCid(pkt, NATIVE_LIMITS.maxCidLen + 1), 'shortDcidLen', '21');
    expectArgError(() => c.openStream(1 as unknown as boolean), 'bidi', 'a number');
    expectArgError(() => c.write(0, pkt, 'yes' as unknown as boolean), 'fin', 'a string');
    expectArgError(() => c.write(0, [1, 2] as unknown as Uint8Array, false), 'data', 'an object');
    expectArgError(() => native.statelessReset(new Uint8Array(15), pkt, 16), 'resetKey', '15');
    // Nothing was half-done: the connection still works.
    const out = c.flush(3);
    expect(Array.isArray(out) && out.length).toBeGreaterThan(0);
    c.destroy();
  });

  it('throws one error domain: TypeError with the argument code, Error with the failure code', () => {
    const e = thrown(() => new native.ServerContext({ cert: 'not a certificate', key: 'no key', ca: 'no ca' }));
    expect(e).not.toBeInstanceOf(TypeError);
    expect(e.code).toBe(NATIVE_ERRORS.failed);
    expect(e.message).toMatch(/certificate\/key/);
    const c = client();
    c.destroy();
    const gone = thrown(() => c.flush(2));
    expect(gone.code).toBe(NATIVE_ERRORS.failed);
    expect(gone.message).toMatch(/destroyed/);
    const notInitial = thrown(() => new native.Connection(opts({ server: true }) as never, new Uint8Array(50), 1));
    expect(notInitial.code).toBe(NATIVE_ERRORS.failed);
    expect(notInitial.message).toMatch(/not an acceptable Initial/);
    expectArgError(() => new native.Connection(opts({ server: true }) as never, null, 1), 'initial packet', 'null');
  });

  it('returns failures as negative statuses, never raw ngtcp2 codes or -1', () => {
    const c = client();
    // Before the handshake the peer has granted no streams.
    expect(c.openStream(true)).toBe(NativeStatus.Blocked);
    // A local stream that was never opened, and the peer's unidirectional stream 3.
    expect(c.write(0, new Uint8Array(4), false)).toBe(NativeStatus.Closed);
    expect(c.write(3, new Uint8Array(4), false)).toBe(NativeStatus.Closed);
    // ngtcp2 ignores a reset of a stream it does not know.
    expect(c.shutdownStream(0, 1)).toBe(NativeStatus.Ok);
    c.destroy();
  });
});
