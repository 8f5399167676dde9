/**
 * What the ngtcp2 engine adds beyond the shared conformance suite
 * (test/quic/engine.test.ts): interop with the @matrixai/quic engine both ways,
 * any number of migrations in one connection (passive NAT rebinding and active
 * migration), bounded recovery after a black hole, a server that survives garbage
 * and mutated datagrams, and SSLKEYLOGFILE.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/quic/engines.js';
import type { PathChange, QuicConnection, QuicEngine, QuicServer, QuicStream } from '../../src/quic/engine.js';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { Ngtcp2Connection } from '../../src/quic/ngtcp2-connection.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';

/** The client side of an ngtcp2 connection moves now (what its route watcher does on a change). */
const migrateNow = (c: QuicConnection): Promise<void> => (c as Ngtcp2Connection).migrateNow();
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';

let fx: QuicFixture;
beforeAll(async () => {
  fx = await makeQuicFixture(['VH-1', 'VH-2']);
});
afterAll(async () => {
  await fx.cleanup();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function readAll(s: QuicStream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

interface Echo {
  server: QuicServer;
  conns: QuicConnection[];
  paths: PathChange[];
  /** Every uni stream's bytes, in arrival order. */
  messages: string[];
}

/** A server that echoes bidi streams and records uni stream messages. */
async function echoServer(engine: QuicEngine, host = '127.0.0.1'): Promise<Echo> {
  const server = await engine.listen({ ...fx.common(fx.server), host, port: 0 });
  const e: Echo = { server, conns: [], paths: [], messages: [] };
  server.on('connection', (c) => {
    e.conns.push(c);
    c.on('path', (p) => e.paths.push(p));
    c.on('stream', (s) => {
      void readAll(s)
        .then(async (buf) => {
          if (s.kind === 'bidi') {
            await s.write(buf);
            await s.end();
          } else e.messages.push(buf.toString());
        })
        .catch(() => undefined);
    });
  });
  cleanups.push(() => server.close());
  return e;
}

async function dial(engine: QuicEngine, port: number, over: Record<string, unknown> = {}): Promise<QuicConnection> {
  const c = await engine.connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port, serverName: 'localhost', handshakeTimeoutMs: 5000, ...over });
  cleanups.push(() => c.close(0, 'test over'));
  return c;
}

async function send(c: QuicConnection, text: string): Promise<void> {
  const s = await c.openStream('uni');
  await s.write(Buffer.from(text));
  await s.end();
}

async function echo(c: QuicConnection, data: Buffer): Promise<Buffer> {
  const s = await c.openStream('bidi');
  const w = (async () => {
    for (let i = 0; i < data.length; i += 16384) await s.write(data.subarray(i, i + 16384));
    await s.end();
  })();
  const got = await readAll(s);
  await w;
  return got;
}

/** A passive-migration ngtcp2 client talking to an echo server through a UDP relay, one message delivered. */
async function relayedSession(): Promise<{ srv: Echo; relay: UdpRelay; c: QuicConnection }> {
  const engine = createNgtcp2Engine({ activeMigration: false });
  const srv = await echoServer(engine);
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: srv.server.address.port });
  cleanups.push(() => relay.close());
  const c = await dial(engine, relay.address.port);
  await send(c, 'before');
  await waitFor('first message', () => srv.messages.length === 1 || undefined);
  return { srv, relay, c };
}

describe('ngtcp2 engine timers', () => {
  it('an idle connection sleeps: after its data is acknowledged, neither end wakes more than a few times in 3 s (keep-alive 20 s)', async () => {
    const engine = createNgtcp2Engine();
    const srv = await echoServer(engine);
    const c = (await dial(engine, srv.server.address.port)) as Ngtcp2Connection;
    await send(c, 'hello');
    await waitFor('the message', () => srv.messages.length === 1 || undefined);
    // past the outage detector's 1.5 s of peer silence: nothing is in flight, so there is nothing to detect
    await new Promise((r) => setTimeout(r, 2000));
    const s = srv.conns[0] as Ngtcp2Connection;
    const [c0, s0] = [c.timerWakeups, s.timerWakeups];
    await new Promise((r) => setTimeout(r, 3000));
    expect(c.timerWakeups - c0).toBeLessThan(10);
    expect(s.timerWakeups - s0).toBeLessThan(10);
  });
});

describe('ngtcp2 engine interop with the @matrixai/quic engine', () => {
  it.each([
    ['ngtcp2 device', 'matrixai server', 'ngtcp2', 'matrixai'],
    ['matrixai device', 'ngtcp2 server', 'matrixai', 'ngtcp2'],
  ] as const)('%s to a %s: handshake, certificate, 1 MB echoed byte-exact, uni messages', async (_a, _b, client, server) => {
    const srv = await echoServer(createEngine(server));
    const c = await dial(createEngine(client), srv.server.address.port);
    expect(c.alpn).toBe('geostream/1.0');
    const data = Buffer.alloc(1_000_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    expect((await echo(c, data)).equals(data)).toBe(true);
    for (let i = 0; i < 20; i++) await send(c, `m${i}`);
    await waitFor('20 messages', () => srv.messages.length === 20 || undefined);
    expect(new Set(srv.messages)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `m${i}`)));
    expect(srv.conns).toHaveLength(1);
    expect(srv.conns[0]!.peerCertificates().length).toBeGreaterThan(0);
  });
});

describe('ngtcp2 engine migration', () => {
  it('follows 12 NAT rebindings (new source address or port) in one connection without a new handshake', async () => {
    const { srv, relay, c } = await relayedSession();
    const moves = 12;
    for (let i = 1; i <= moves; i++) {
      const [to] = await relay.rebind(i % 2 ? '127.0.0.2' : '127.0.0.3');
      await send(c, `after move ${i}`);
      await waitFor(`message after move ${i}`, () => srv.messages.length === i + 1 || undefined);
      await waitFor(`server to follow move ${i}`, () => (srv.conns[0]!.remote.port === to!.port && srv.conns[0]!.remote.host === to!.host) || undefined);
    }
    expect(srv.conns).toHaveLength(1);
    expect(srv.conns[0]!.stats().pathChanges).toBe(moves);
    expect(srv.paths).toHaveLength(moves);
    expect((srv.server as Ngtcp2Server).stats()).toMatchObject({ handshakes: 1, handshakeErrors: 0, open: 1, pathChanges: moves });
    expect(srv.messages).toEqual(['before', ...Array.from({ length: moves }, (_, i) => `after move ${i + 1}`)]);
  });

  it('migrates actively 10 times (new socket, new connection ID each time), every path validated', async () => {
    const engine = createNgtcp2Engine({ activeMigration: false });
    const srv = await echoServer(engine);
    const c = await dial(engine, srv.server.address.port);
    const clientPaths: PathChange[] = [];
    c.on('path', (p) => clientPaths.push(p));
    await send(c, 'm0');
    for (let i = 1; i <= 10; i++) {
      const before = srv.conns[0]!.remote.port;
      await migrateNow(c);
      await send(c, `m${i}`);
      await waitFor(`message after migration ${i}`, () => srv.messages.length === i + 1 || undefined);
      await waitFor(`server on the new path ${i}`, () => srv.conns[0]!.remote.port !== before || undefined);
      await waitFor(`client path ${i} validated`, () => clientPaths.length === i || undefined);
    }
    expect(srv.conns).toHaveLength(1);
    expect(srv.conns[0]!.stats().pathChanges).toBe(10);
    expect(c.stats().pathChanges).toBe(10);
    expect(new Set(clientPaths.map((p) => p.to.port)).size).toBe(10);
  });

  it('refuses to migrate when the server sets disable_active_migration, and keeps working', async () => {
    const srv = await echoServer(createNgtcp2Engine({ disableActiveMigration: true }));
    const c = await dial(createNgtcp2Engine({ activeMigration: false }), srv.server.address.port);
    await send(c, 'one');
    const port = srv.conns[0]!.remote.port;
    await migrateNow(c);
    await send(c, 'two');
    await waitFor('two messages', () => srv.messages.length === 2 || undefined);
    expect(srv.conns[0]!.remote.port).toBe(port);
    expect(srv.conns[0]!.stats().pathChanges).toBe(0);
  });
});

describe('ngtcp2 engine close', () => {
  it('close() right after a write: the peer gets every byte written before the CONNECTION_CLOSE', async () => {
    const engine = createNgtcp2Engine();
    const server = await engine.listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
    cleanups.push(() => server.close());
    const size = 96 * 1024;
    server.on('connection', (c) => {
      c.on('stream', (s) => {
        void (async () => {
          for await (const _ of s) break;
          await s.write(Buffer.alloc(size, 7));
          await c.close(5, 'after the data');
        })().catch(() => undefined);
      });
    });
    for (let i = 0; i < 5; i++) {
      const c = await dial(engine, server.address.port);
      const closed = new Promise<{ code: number; got: number }>((resolve) => c.on('close', (info) => resolve({ code: info.code, got })));
      let got = 0;
      const s = await c.openStream('bidi');
      await s.write(Buffer.from('go'));
      void (async () => {
        for await (const chunk of s) got += chunk.byteLength;
      })().catch(() => undefined);
      expect(await closed).toEqual({ code: 5, got: size });
    }
  });
});

describe('ngtcp2 engine outage', () => {
  it('delivers within about 1 s of a 20 s black hole ending (bounded probes, no PTO backoff wait)', async () => {
    const { srv, relay, c } = await relayedSession();
    relay.blackhole(20_000);
    // Records keep coming during the outage (one a second, like the agent).
    for (let i = 0; i < 20; i++) {
      await send(c, `during ${i}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await waitFor('hole to end', () => !relay.blackholed || undefined, 3000);
    const back = Date.now();
    await waitFor('every record after the outage', () => srv.messages.length === 21 || undefined, 10_000);
    const recoveryMs = Date.now() - back;
    expect(recoveryMs).toBeLessThan(2500);
    expect(srv.conns).toHaveLength(1);
  }, 60_000);
});

describe('ngtcp2 server robustness', () => {
  it('keeps serving a live connection while fed 5,000 random and mutated datagrams', async () => {
    const engine = createNgtcp2Engine({ activeMigration: false });
    const srv = await echoServer(engine);
    // Capture real datagrams from a client through a relay to mutate them.
    const relay = await UdpRelay.start({ host: '127.0.0.1', port: srv.server.address.port });
    cleanups.push(() => relay.close());
    const captured: Buffer[] = [];
    const tap = dgram.createSocket('udp4');
    cleanups.push(async () => tap.close());
    await new Promise<void>((r) => tap.bind(0, '127.0.0.1', () => r()));
    const c = await dial(engine, relay.address.port);
    const probe = await c.openStream('bidi');
    // A fresh client's first flight (an Initial) captured by connecting through a sniffing socket.
    const sniff = dgram.createSocket('udp4');
    cleanups.push(async () => sniff.close());
    sniff.on('message', (m) => captured.push(Buffer.from(m)));
    await new Promise<void>((r) => sniff.bind(0, '127.0.0.1', () => r()));
    const pending = engine.connect({ ...fx.common(fx.device('VH-2')), host: '127.0.0.1', port: sniff.address().port, serverName: 'localhost', handshakeTimeoutMs: 1500 });
    pending.catch(() => undefined);
    await waitFor('captured Initial', () => captured.length > 0 || undefined);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const port = srv.server.address.port;
    for (let i = 0; i < 5000; i++) {
      let d: Buffer;
      if (i % 3 === 0) {
        d = Buffer.alloc(1 + rnd(1400));
        for (let j = 0; j < d.length; j++) d[j] = rnd(256);
      } else {
        d = Buffer.from(captured[i % captured.length]!);
        for (let k = 0; k < 1 + rnd(8); k++) d[rnd(d.length)] = rnd(256);
        if (i % 7 === 0) d = d.subarray(0, rnd(d.length));
      }
      tap.send(d, port, '127.0.0.1');
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await probe.write(Buffer.from('still alive'));
    await probe.end();
    expect((await readAll(probe)).toString()).toBe('still alive');
    await pending.catch(() => undefined);
    const ok = await dial(engine, port, { tls: fx.device('VH-2') });
    expect((await echo(ok, Buffer.from('new connection too'))).toString()).toBe('new connection too');
  }, 30_000);
});

describe('ngtcp2 qlog', () => {
  it('writes one qlog file per connection end into GEOSTREAM_QLOG_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'native-qlog-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    process.env.GEOSTREAM_QLOG_DIR = dir;
    try {
      const engine = createNgtcp2Engine({ activeMigration: false });
      const srv = await echoServer(engine);
      const c = await dial(engine, srv.server.address.port);
      await send(c, 'q');
      await waitFor('message', () => srv.messages.length === 1 || undefined);
      await c.close(0, 'done');
      const files = readdirSync(dir).sort();
      expect(files).toEqual([`${c.id}.client.sqlog`, `${c.id}.server.sqlog`]);
      for (const f of files) {
        const text = readFileSync(join(dir, f), 'utf8');
        expect(text).toContain('"qlog_version"');
        expect(text).toContain('packet_sent');
        expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      }
    } finally {
      delete process.env.GEOSTREAM_QLOG_DIR;
    }
  });
});

describe('ngtcp2 SSLKEYLOGFILE', () => {
  it('writes the TLS secrets in NSS key log format to a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'native-keylog-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'keys.log');
    const engine = createNgtcp2Engine({ activeMigration: false });
    const srv = await echoServer(engine);
    const c = await dial(engine, srv.server.address.port, { keyLogFile: file });
    await send(c, 'x');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const labels = new Set(lines.map((l) => l.split(' ')[0]));
    for (const l of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) expect(labels).toContain(l);
    for (const l of lines) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
