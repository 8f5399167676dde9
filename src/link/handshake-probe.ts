import { CloseCode, closeCodeName, closeLabel } from '../protocol/close-codes.js';
import { ALPN, PROTOCOL_VERSION, type Welcome } from '../protocol/messages.js';
import { FrameReader } from '../protocol/reader.js';
import { encodeFrame } from '../protocol/wire.js';
import { QuicError, type CloseInfo, type QuicConnection, type QuicEngine } from '../quic/engine.js';
import type { TlsMaterial } from '../tls/material.js';

export interface HandshakeProbeOptions {
  engine: QuicEngine;
  server: { host: string; port: number };
  /** Name the server certificate must carry (default: the host). */
  serverName?: string;
  tls: TlsMaterial;
  device: string;
  firmware: string;
  schema: number;
  /** The spool the HELLO names (its id and cumulative ack), so WELCOME says what the server holds of it. */
  spool: { id: string; acked: number };
  /** The whole probe (QUIC handshake, HELLO, WELCOME) gives up after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Monotonic ms (the injected clock). */
  now: () => number;
}

export interface HandshakeProbeResult {
  address: string;
  alpn: string;
  /** QUIC + TLS handshake time. */
  connectMs: number;
  /** HELLO sent to WELCOME read: one application round trip. */
  rttMs: number;
  welcome: Welcome;
}

/** The server answered with a geostream/1.0 refusal (CLOSE frame or application close code). */
export class HandshakeRefused extends Error {
  override name = 'HandshakeRefused';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One geostream/1.0 session open and shut, for `geostream selftest`: QUIC handshake
 * with peer verification and ALPN geostream/1.0, HELLO on the control stream,
 * WELCOME back, then an orderly close (code normal). No record is sent.
 * Rejects with QuicError (connect: tls, alpn, timeout, refused), HandshakeRefused
 * (the server's CLOSE, e.g. identity) or QuicError 'timeout' (no WELCOME in time).
 *
 * Note: the server retires an older connection of the same device on HELLO, so a
 * running agent is superseded and reconnects after its backoff.
 */
export async function probeHandshake(o: HandshakeProbeOptions): Promise<HandshakeProbeResult> {
  const target = `${o.server.host}:${o.server.port}`;
  const t0 = o.now();
  const left = () => Math.max(0, o.timeoutMs - (o.now() - t0));
  if (o.signal?.aborted) throw new QuicError('timeout', `${target}: aborted`);
  let conn: QuicConnection;
  try {
    conn = await o.engine.connect({
      host: o.server.host,
      port: o.server.port,
      serverName: o.serverName,
      alpn: [ALPN],
      tls: { ...o.tls, verifyPeer: true },
      idleTimeoutMs: 30_000,
      keepAliveMs: 0,
      handshakeTimeoutMs: Math.max(1, Math.ceil(left())),
    });
  } catch (err) {
    throw connectError(err, target, o.timeoutMs);
  }
  const connectMs = o.now() - t0;
  let closed: CloseInfo | null = null;
  conn.on('close', (info) => (closed = info));
  try {
    if (conn.alpn !== ALPN) throw new QuicError('alpn', `${target}: server negotiated '${conn.alpn}', not ${ALPN}`);
    const welcome = await withDeadline(conn, target, left(), o.signal, () => helloWelcome(conn, o, target));
    return { address: target, alpn: conn.alpn, connectMs, rttMs: welcome.rttMs, welcome: welcome.frame };
  } finally {
    if (!closed) await conn.close(CloseCode.normal, 'selftest done').catch(() => undefined);
  }
}

/**
 * The engines word failures differently: one wording per cause here, saying which side
 * refused a certificate (our verifier's messages start with "server certificate" or
 * "server sent"; matrixai prefixes "refused the server's certificate").
 */
function connectError(err: unknown, target: string, timeoutMs: number): unknown {
  if (!(err instanceof QuicError)) return err;
  const msg = err.message.startsWith(`${target}: `) ? err.message.slice(target.length + 2) : err.message;
  if (err.code === 'timeout') return new QuicError('timeout', `${target}: no QUIC handshake within ${(timeoutMs / 1000).toFixed(0)} s (server down or unreachable?)`);
  if (err.code !== 'tls') return err;
  const ours = /^refused the server's certificate: (.*)$/s.exec(msg)?.[1] ?? (/^server (certificate|sent)/.test(msg) ? msg : null);
  return ours !== null
    ? new QuicError('tls', `${target}: refused the server's certificate: ${ours}`)
    : new QuicError('tls', `${target}: the server refused this device's certificate: ${msg.replace(/^(the server refused us|peer refused the handshake): /, '')}`);
}

async function helloWelcome(conn: QuicConnection, o: HandshakeProbeOptions, target: string): Promise<{ frame: Welcome; rttMs: number }> {
  const control = await conn.openStream('bidi');
  const hello = encodeFrame({ type: 'HELLO', version: PROTOCOL_VERSION, device: o.device, firmware: o.firmware, schema: o.schema, spool: o.spool.id, head: o.spool.acked, acked: o.spool.acked });
  const sentAt = o.now();
  await control.write(hello);
  const reader = new FrameReader(undefined, new Set(['WELCOME', 'CLOSE']), 'control stream');
  for await (const chunk of control) {
    for (const f of reader.push(chunk)) {
      if (f.type === 'WELCOME') return { frame: f, rttMs: o.now() - sentAt };
      if (f.type === 'CLOSE') throw new HandshakeRefused(f.code, `${target} refused the session: ${closeCodeName(f.code)} ${f.reason}`);
    }
  }
  throw new QuicError('closed', `${target}: control stream ended before WELCOME`);
}

/** Runs `fn` until it settles, the connection closes, `ms` pass or `signal` aborts. */
function withDeadline<T>(conn: QuicConnection, target: string, ms: number, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new QuicError('timeout', `${target}: no WELCOME within ${ms.toFixed(0)} ms after the handshake`)), ms);
    const onAbort = () => done(new QuicError('timeout', `${target}: aborted`));
    const onClose = (info: CloseInfo) =>
      done(
        info.app && info.by === 'peer'
          ? new HandshakeRefused(info.code, `${target} refused the session: ${closeCodeName(info.code)} ${info.reason}`)
          : new QuicError('closed', `${target}: connection closed (${info.by}) before WELCOME: ${info.reason || closeLabel(info.code, info.app)}`),
      );
    let settled = false;
    const done = (err: Error | null, v?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      conn.off('close', onClose);
      if (err) reject(err);
      else resolve(v as T);
    };
    signal?.addEventListener('abort', onAbort);
    conn.on('close', onClose);
    fn().then(
      (v) => done(null, v),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
    );
  });
}
