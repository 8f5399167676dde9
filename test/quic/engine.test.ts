/**
 * QuicEngine conformance: every engine the registry can create passes the same
 * tests, over real UDP on loopback (through test/support/udp-relay.ts where the
 * path must misbehave). Each test is named after the failure it would catch.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { QuicError, type CloseInfo, type ConnectOptions, type PathChange, type QuicConnection, type QuicEngine, type QuicServer, type QuicStream } from '../../src/quic/engine.js';
import type { TlsMaterial } from '../../src/tls/material.js';
import { vehicleIdFromCert } from '../../src/tls/identity.js';
import { makeQuicFixture, ALPN, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';

let fx: QuicFixture;
beforeAll(async () => {
  fx = await makeQuicFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

async function readAll(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A listening server that records what happens to it. */
interface Harness {
  server: QuicServer;
  conns: QuicConnection[];
  closes: Map<QuicConnection, CloseInfo>;
  paths: Map<QuicConnection, PathChange[]>;
  refused: { err: QuicError; from: { host: string; port: number } }[];
  /** Streams the server got, with everything read from each (bidi ones are echoed back reversed). */
  received: { conn: QuicConnection; stream: QuicStream; data: Promise<Buffer> }[];
}

describe.each(availableEngines())('QUIC engine %s', (name) => {
  let engine: QuicEngine;
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function listen(opts: { echo?: boolean; holdReads?: Promise<void> } = {}): Promise<Harness> {
    engine ??= createEngine(name);
    const server = await engine.listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
    const h: Harness = { server, conns: [], closes: new Map(), paths: new Map(), refused: [], received: [] };
    server.on('handshakeError', (err, from) => h.refused.push({ err, from }));
    server.on('connection', (conn) => {
      h.conns.push(conn);
      h.paths.set(conn, []);
      conn.on('close', (info) => h.closes.set(conn, info));
      conn.on('path', (p) => h.paths.get(conn)!.push(p));
      conn.on('stream', (stream) => {
        const data = (opts.holdReads ?? Promise.resolve()).then(() => readAll(stream)).then(async (buf) => {
          if (opts.echo !== false && stream.kind === 'bidi') {
            await stream.write(Buffer.from(buf).reverse());
            await stream.end();
          }
          return buf;
        });
        data.catch(() => undefined);
        h.received.push({ conn, stream, data });
      });
    });
    cleanups.push(() => server.close());
    return h;
  }

  async function connect(port: number, tls: TlsMaterial = fx.device('VH-1'), over: Partial<ConnectOptions> = {}, host = '127.0.0.1'): Promise<QuicConnection> {
    engine ??= createEngine(name);
    const conn = await engine.connect({ ...fx.common(tls), host, port, serverName: 'localhost', handshakeTimeoutMs: 5_000, ...over });
    cleanups.push(() => conn.close(0, 'test over'));
    return conn;
  }

  async function refusedWith(p: Promise<unknown>): Promise<QuicError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'connect() should have been refused').toBeInstanceOf(QuicError);
    return err as QuicError;
  }

  it('negotiates exactly geostream/1.0 and tells the server which vehicle connected', async () => {
    const h = await listen();
    const conn = await connect(h.server.address.port);
    expect(conn.alpn).toBe(ALPN);
    const sconn = await waitFor('server connection', () => h.conns[0]);
    expect(sconn.alpn).toBe(ALPN);
    expect(sconn.id).toBe(conn.id);
    const certs = sconn.peerCertificates();
    expect(certs.length).toBeGreaterThan(0);
    expect(vehicleIdFromCert(certs[0]!)).toBe('VH-1');
    expect(() => vehicleIdFromCert(conn.peerCertificates()[0]!)).toThrow(/not a vehicle certificate/);
    expect(h.refused).toEqual([]);
  });

  it.each([
    ['no client certificate', 'nocert', 'tls', /no certificate|certificate required/i],
    ['a certificate from another CA', 'foreign', 'tls', /unknown CA|not by the trusted CA/i],
    ['an expired certificate', 'expired', 'tls', /expired/i],
    ['a revoked certificate', 'revoked', 'tls', /revoked/i],
  ] as const)('refuses a device with %s, with a clear reason, and keeps serving others', async (_what, which, code, re) => {
    const h = await listen();
    const tls = which === 'nocert' ? { ...fx.device('VH-1'), cert: '', key: '' } : fx[which];
    const err = await refusedWith(connect(h.server.address.port, tls));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(re);
    const r = await waitFor('handshakeError on the server', () => h.refused[0]);
    expect(r.err.code).toBe(code);
    expect(r.err.message).toMatch(re);
    expect(h.conns).toHaveLength(0);
    // The server still serves a good device.
    const ok = await connect(h.server.address.port, fx.device('VH-2'));
    const s = await ok.openStream('bidi');
    await s.write(Buffer.from('still there?'));
    await s.end();
    expect((await readAll(s)).toString()).toBe('?ereht llits');
  });

  it('refuses a wrong ALPN on both sides', async () => {
    const h = await listen();
    const err = await refusedWith(connect(h.server.address.port, fx.device('VH-1'), { alpn: ['geostream/0.9'] }));
    expect(err.code).toBe('alpn');
    expect(err.message).toMatch(/ALPN|application protocol/i);
    const r = await waitFor('handshakeError on the server', () => h.refused[0]);
    expect(r.err.code).toBe('alpn');
    expect(r.err.message).toContain(ALPN);
    await connect(h.server.address.port, fx.device('VH-2'));
  });

  it('refuses a server whose certificate does not name the host we dialled', async () => {
    const h = await listen();
    const err = await refusedWith(connect(h.server.address.port, fx.device('VH-1'), { serverName: 'ingest.example.org' }));
    expect(err.code).toBe('tls');
    expect(err.message).toMatch(/does not name 'ingest\.example\.org'/);
  });

  it('times out a handshake with no server instead of hanging', async () => {
    const h = await listen();
    const port = h.server.address.port;
    await h.server.close();
    const t0 = Date.now();
    const err = await refusedWith(connect(port, fx.device('VH-1'), { handshakeTimeoutMs: 600 }));
    expect(err.code).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('carries uni and bidi streams both ways, byte-exact', async () => {
    const h = await listen();
    const conn = await connect(h.server.address.port);
    const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
    // client -> server, uni
    const u = await conn.openStream('uni');
    expect(u.kind).toBe('uni');
    expect(u.local).toBe(true);
    await u.write(payload);
    await u.end();
    // client -> server -> client, bidi
    const b = await conn.openStream('bidi');
    await b.write(Buffer.from('hello'));
    await b.end();
    expect((await readAll(b)).toString()).toBe('olleh');
    const got = await waitFor('two server streams', () => h.received.length >= 2 && h.received);
    const uni = got.find((r) => r.stream.kind === 'uni')!;
    expect(uni.stream.local).toBe(false);
    expect((await uni.data).equals(payload)).toBe(true);
    // server -> client, uni and bidi
    const sconn = h.conns[0]!;
    const fromServer: { kind: string; data: Promise<Buffer>; stream: QuicStream }[] = [];
    conn.on('stream', (s) => fromServer.push({ kind: s.kind, stream: s, data: readAll(s) }));
    const su = await sconn.openStream('uni');
    await su.write(Buffer.from('welcome'));
    await su.end();
    const sb = await sconn.openStream('bidi');
    await sb.write(Buffer.from('question'));
    await sb.end();
    const both = await waitFor('two client streams', () => fromServer.length >= 2 && fromServer);
    const cu = both.find((x) => x.kind === 'uni')!;
    expect((await cu.data).toString()).toBe('welcome');
    await expect(cu.stream.write(Buffer.from('x'))).rejects.toBeInstanceOf(QuicError);
    const cb = both.find((x) => x.kind === 'bidi')!;
    expect((await cb.data).toString()).toBe('question');
    await cb.stream.write(Buffer.from('answer'));
    await cb.stream.end();
    expect((await readAll(sb)).toString()).toBe('answer');
  });

  it('holds back a big write while the peer does not read, then delivers every byte', async () => {
    let startReading!: () => void;
    const gate = new Promise<void>((r) => (startReading = r));
    const h = await listen({ echo: false, holdReads: gate });
    const conn = await connect(h.server.address.port);
    const chunk = 64 * 1024;
    // Large against any engine's buffering (matrixai took up to 1 MiB under load, ngtcp2
    // 512 KiB) so "held back" cannot be confused with "all of it fitted in a buffer".
    const total = 8 * 1024 * 1024;
    const data = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) data.writeUInt32LE(i, i);
    const s = await conn.openStream('uni');
    let accepted = 0;
    const writing = (async () => {
      for (let off = 0; off < total; off += chunk) {
        await s.write(data.subarray(off, off + chunk));
        accepted = off + chunk;
      }
      await s.end();
    })();
    // The server does not read the stream until the gate opens.
    await waitFor('server stream', () => h.received[0]);
    await new Promise((r) => setTimeout(r, 700));
    const acceptedWhileStalled = accepted;
    expect(acceptedWhileStalled).toBeGreaterThan(0);
    expect(acceptedWhileStalled, 'writes kept resolving although the peer read nothing').toBeLessThan(total / 2);
    console.log(`[${name}] backpressure: ${acceptedWhileStalled} of ${total} bytes accepted while the peer read nothing`);
    startReading();
    await writing;
    const got = await h.received[0]!.data;
    expect(got.length).toBe(total);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('counts what a stream holds of its writes (bufferedBytes) while the peer does not read, and nothing once it has read them', async () => {
    let startReading!: () => void;
    const gate = new Promise<void>((r) => (startReading = r));
    const h = await listen({ echo: false, holdReads: gate });
    const conn = await connect(h.server.address.port);
    const s = await conn.openStream('uni');
    expect(s.bufferedBytes).toBe(0);
    // 4 MiB written at once, without waiting: four times the peer's flow-control credit (matrixai 1 MiB, ngtcp2 256 KiB)
    const chunk = 64 * 1024;
    const total = 4 * 1024 * 1024;
    const writes: Promise<void>[] = [];
    for (let off = 0; off < total; off += chunk) writes.push(s.write(Buffer.alloc(chunk, off / chunk)));
    expect(s.bufferedBytes).toBe(total);
    await waitFor('server stream', () => h.received[0]);
    // whatever the peer's QUIC took, most of it is still held here while the peer reads nothing
    expect(s.bufferedBytes).toBeGreaterThan(total / 2);
    console.log(`[${name}] bufferedBytes with the peer reading nothing: ${s.bufferedBytes} of ${total}`);
    startReading();
    await Promise.all(writes);
    await s.end();
    expect((await h.received[0]!.data).length).toBe(total);
    // the peer's QUIC acknowledged every byte: the stream holds none of them
    await waitFor('nothing buffered', () => s.bufferedBytes === 0 || undefined);
  });

  it('shows the peer our close code and reason, and theirs to us', async () => {
    const h = await listen();
    const a = await connect(h.server.address.port);
    const sa = await waitFor('server connection', () => h.conns[0]);
    await a.close(42, 'vehicle parked');
    const seen = await waitFor('server close', () => h.closes.get(sa));
    expect(seen).toMatchObject({ code: 42, app: true, by: 'peer', reason: 'vehicle parked' });
    await expect(a.openStream('uni')).rejects.toMatchObject({ code: 'closed' });

    const b = await connect(h.server.address.port, fx.device('VH-2'));
    let bClose: CloseInfo | undefined;
    b.on('close', (i) => (bClose = i));
    const sb = await waitFor('second server connection', () => h.conns[1]);
    const bs = await b.openStream('uni');
    await sb.close(7, 'HELLO for another vehicle');
    const info = await waitFor('client close', () => bClose);
    expect(info).toMatchObject({ code: 7, app: true, by: 'peer', reason: 'HELLO for another vehicle' });
    await expect(bs.write(Buffer.from('late'))).rejects.toMatchObject({ code: 'closed' });

    const c = await connect(h.server.address.port);
    let cClose: CloseInfo | undefined;
    c.on('close', (i) => (cClose = i));
    await waitFor('third server connection', () => h.conns[2]);
    await h.server.close(9, 'server shutting down');
    expect(await waitFor('client close on server shutdown', () => cClose)).toMatchObject({ code: 9, app: true, by: 'peer', reason: 'server shutting down' });
  });

  it('reports a stream reset with its code to the reader', async () => {
    const h = await listen();
    const conn = await connect(h.server.address.port);
    const s = await conn.openStream('uni');
    await s.write(Buffer.from('partial'));
    const r = await waitFor('server stream', () => h.received[0]);
    s.reset(5);
    const err = await r.data.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QuicError);
    expect((err as QuicError).appCode).toBe(5);
  });

  it('keeps an idle connection alive with keep-alives, and ends a dead one by idle timeout', async () => {
    const h = await listen();
    const relay = await UdpRelay.start({ host: '127.0.0.1', port: h.server.address.port });
    cleanups.push(() => relay.close());
    // The server's idle timeout (180 s) is longer: the client's 1.5 s applies (min of both).
    const conn = await connect(relay.address.port, fx.device('VH-1'), { idleTimeoutMs: 1_500, keepAliveMs: 400 });
    let info: CloseInfo | undefined;
    conn.on('close', (i) => (info = i));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(info, 'keep-alives should have kept the connection open past the idle timeout').toBeUndefined();
    relay.blackhole(Infinity);
    const closed = await waitFor('idle close', () => info, 6_000);
    expect(closed.by).toBe('idle');
    expect(closed.reason).toMatch(/idle/);
  });

  it('writes TLS secrets to keyLogFile when asked (SSLKEYLOGFILE)', async () => {
    const h = await listen();
    const file = join(fx.dir, `keylog-${name}.txt`);
    const conn = await connect(h.server.address.port, fx.device('VH-1'), { keyLogFile: file });
    const s = await conn.openStream('bidi');
    await s.write(Buffer.from('x'));
    await s.end();
    await readAll(s);
    await conn.close(0, 'done');
    const log = await waitFor('key log', () => (existsSync(file) && readFileSync(file, 'utf8').includes('CLIENT_TRAFFIC_SECRET_0') ? readFileSync(file, 'utf8') : undefined));
    expect(log).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
  });

  it('keeps serving after garbage and mutated datagrams (nothing escapes as an uncaught error)', async () => {
    const escaped: unknown[] = [];
    const onEscape = (e: unknown) => escaped.push(e);
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    try {
      const h = await listen();
      // Capture real datagrams of a handshake and some stream data to mutate.
      const relay = await UdpRelay.start({ host: '127.0.0.1', port: h.server.address.port });
      cleanups.push(() => relay.close());
      const captured: Buffer[] = [];
      relay.tap = (msg) => captured.push(Buffer.from(msg));
      const conn = await connect(relay.address.port);
      const s = await conn.openStream('bidi');
      await s.write(Buffer.from('hello'));
      await s.end();
      await readAll(s);
      relay.tap = undefined;
      expect(captured.length).toBeGreaterThan(3);
      const sock = dgram.createSocket('udp4');
      cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
      let seed = 12345;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const send = (b: Buffer) => new Promise<void>((r) => sock.send(b, h.server.address.port, '127.0.0.1', () => r()));
      for (let i = 0; i < 1500; i++) {
        let b: Buffer;
        if (i % 3 === 0) {
          b = Buffer.alloc(1 + Math.floor(rnd() * 1400));
          for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
        } else {
          b = Buffer.from(captured[i % captured.length]!);
          const flips = 1 + Math.floor(rnd() * 8);
          for (let f = 0; f < flips; f++) {
            const at = Math.floor(rnd() * b.length);
            b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
          }
          if (i % 7 === 0) b = b.subarray(0, Math.floor(rnd() * b.length));
        }
        await send(b);
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 300));
      const again = await connect(h.server.address.port, fx.device('VH-2'));
      const s2 = await again.openStream('bidi');
      await s2.write(Buffer.from('alive'));
      await s2.end();
      expect((await readAll(s2)).toString()).toBe('evila');
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    }
  });

  it('keeps the connection across a source-address change (no new handshake)', async () => {
    const h = await listen();
    const relay = await UdpRelay.start({ host: '127.0.0.1', port: h.server.address.port });
    cleanups.push(() => relay.close());
    const conn = await connect(relay.address.port);
    const before = await conn.openStream('uni');
    await before.write(Buffer.from('before'));
    await before.end();
    await waitFor('first stream', () => h.received[0]);
    const sconn = h.conns[0]!;
    const oldRemote = sconn.remote;
    const [moved] = await relay.rebind('127.0.0.2');
    const after = await conn.openStream('uni');
    await after.write(Buffer.from('after the move'));
    await after.end();
    const r = await waitFor('stream after the move', () => h.received[1]);
    expect((await r.data).toString()).toBe('after the move');
    expect(h.conns).toHaveLength(1);
    expect(r.conn).toBe(sconn);
    await waitFor('path event for the validated new address', () => h.paths.get(sconn)!.length > 0 || undefined);
    expect(h.paths.get(sconn)).toEqual([{ from: oldRemote, to: moved }]);
    expect(sconn.remote).toEqual(moved);
    expect(sconn.stats().pathChanges).toBe(1);
  });

  it('survives a 10 s black hole and delivers what was written during it', async () => {
    const h = await listen();
    const relay = await UdpRelay.start({ host: '127.0.0.1', port: h.server.address.port });
    cleanups.push(() => relay.close());
    const conn = await connect(relay.address.port);
    let closed: CloseInfo | undefined;
    conn.on('close', (i) => (closed = i));
    const s = await conn.openStream('uni');
    await s.write(Buffer.from('a'));
    const r = await waitFor('server stream', () => h.received[0]);
    relay.blackhole(10_000);
    await s.write(Buffer.from('b-written-in-the-dark'));
    await s.end();
    await new Promise((res) => setTimeout(res, 10_000));
    const back = Date.now();
    const data = await r.data;
    const recoveryMs = Date.now() - back;
    expect(data.toString()).toBe('ab-written-in-the-dark');
    expect(closed).toBeUndefined();
    expect(relay.counts.dropped).toBeGreaterThan(0);
    console.log(`[${name}] 10 s black hole: ${relay.counts.dropped} datagrams dropped, delivered ${recoveryMs} ms after the path returned`);
  }, 30_000);
});

/** Every pair of different engines, both ways round: a client of one, a server of the other. */
const pairs = availableEngines().flatMap((a) => availableEngines().filter((b) => b !== a).map((b) => [a, b] as const));

describe.runIf(pairs.length > 0).each(pairs)('interop: %s client -> %s server', (clientName, serverName) => {
  it('handshakes, echoes a stream and carries a close code', async () => {
    const server = await createEngine(serverName).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
    try {
      let seen: CloseInfo | undefined;
      server.on('connection', (c) => {
        c.on('close', (i) => (seen = i));
        c.on('stream', (s) => {
          void readAll(s).then(async (b) => {
            await s.write(Buffer.from(b).reverse());
            await s.end();
          });
        });
      });
      const conn = await createEngine(clientName).connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port: server.address.port, serverName: 'localhost' });
      expect(conn.alpn).toBe(ALPN);
      const s = await conn.openStream('bidi');
      await s.write(Buffer.from('interop'));
      await s.end();
      expect((await readAll(s)).toString()).toBe('poretni');
      await conn.close(3, 'bye');
      expect(await waitFor('server close', () => seen)).toMatchObject({ code: 3, app: true, by: 'peer', reason: 'bye' });
    } finally {
      await server.close();
    }
  });
});
