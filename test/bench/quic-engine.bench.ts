/**
 * QUIC engine benchmark, real UDP on loopback, per engine in the registry, with
 * TCP + TLS 1.3 (node:tls, same certificates, same batching) as the baseline
 * measured in the same run:
 *  - handshake time (connect() resolved);
 *  - one-way throughput of 64-byte records over one stream, 1, 50 and 500 records
 *    per write, until the receiver has every byte;
 *  - outage recovery: time from the end of a 5 s black hole (udp-relay) to the
 *    arrival of data written during it (baseline: RTT on the same connection).
 * Prints CPU time per record (both ends run in this process) and RSS.
 */
import { connect as tlsConnect, createServer as tlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import type { QuicEngine, QuicServer, QuicStream } from '../../src/quic/engine.js';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';

const RECORD = 64;
const CASES = [
  { perWrite: 1, records: 3_000 },
  { perWrite: 50, records: 50_000 },
  { perWrite: 500, records: 200_000 },
];

function usage(): string {
  const cpu = process.cpuUsage();
  return `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`;
}

interface Sink {
  got: number;
  want: number;
  done?: () => void;
}

function count(sink: Sink, n: number): void {
  sink.got += n;
  if (sink.got >= sink.want) sink.done?.();
}

interface Rate {
  /** Records per second, wall clock. */
  perS: number;
  /** CPU microseconds per record (both ends are in this process): less sensitive to a busy machine. */
  cpuUs: number;
}

async function pump(write: (b: Uint8Array) => Promise<void>, sink: Sink, records: number, perWrite: number): Promise<Rate> {
  sink.got = 0;
  sink.want = records * RECORD;
  const arrived = new Promise<void>((r) => (sink.done = r));
  const batch = Buffer.alloc(RECORD * perWrite, 0x5a);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < records; i += perWrite) await write(batch);
  await arrived;
  const cpu = process.cpuUsage(cpu0);
  return { perS: (records / (performance.now() - t0)) * 1000, cpuUs: (cpu.user + cpu.system) / records };
}

/** Baseline: TCP + TLS 1.3 with mutual auth and the same certificates. */
async function tlsBaseline(fx: QuicFixture): Promise<{ handshakeMs: number; rates: Rate[] }> {
  const sink: Sink = { got: 0, want: Infinity };
  const server = tlsServer({ key: fx.server.key, cert: fx.server.cert, ca: fx.server.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['geostream/1.0'], minVersion: 'TLSv1.3' }, (sock) => {
    sock.on('data', (d: Buffer) => count(sink, d.byteLength));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dev = fx.device('VH-1');
  const t0 = performance.now();
  const sock: TLSSocket = await new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', key: dev.key, cert: dev.cert, ca: dev.ca, ALPNProtocols: ['geostream/1.0'], minVersion: 'TLSv1.3' }, () => resolve(s));
    s.on('error', reject);
  });
  const handshakeMs = performance.now() - t0;
  const write = (b: Uint8Array) => new Promise<void>((r) => (sock.write(b) ? r() : sock.once('drain', r)));
  const rates: Rate[] = [];
  for (const c of CASES) rates.push(await pump(write, sink, c.records, c.perWrite));
  sock.destroy();
  await new Promise((r) => server.close(r));
  return { handshakeMs, rates };
}

async function engineRun(engine: QuicEngine, fx: QuicFixture): Promise<{ handshakeMs: number; rates: Rate[]; recoveryMs: number; rttMs: number }> {
  const sink: Sink = { got: 0, want: Infinity };
  const arrivals: number[] = [];
  const server: QuicServer = await engine.listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
  server.on('connection', (conn) =>
    conn.on('stream', (s: QuicStream) => {
      void (async () => {
        try {
          for await (const chunk of s) {
            count(sink, chunk.byteLength);
            arrivals.push(performance.now());
          }
        } catch {
          // closed at the end
        }
      })();
    }),
  );
  const common = { ...fx.common(fx.device('VH-1')), serverName: 'localhost', host: '127.0.0.1' };
  const t0 = performance.now();
  const conn = await engine.connect({ ...common, port: server.address.port });
  const handshakeMs = performance.now() - t0;
  const rates: Rate[] = [];
  for (const c of CASES) {
    const s = await conn.openStream('uni');
    rates.push(await pump((b) => s.write(b), sink, c.records, c.perWrite));
    await s.end();
  }
  await conn.close(0, 'bench done');

  // Outage recovery through the relay.
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: server.address.port });
  const viaRelay = await engine.connect({ ...common, port: relay.address.port });
  const s = await viaRelay.openStream('uni');
  await s.write(Buffer.from('warm-up'));
  await new Promise((r) => setTimeout(r, 200));
  const rttMs = viaRelay.stats().rttMs;
  relay.blackhole(5_000);
  const n0 = arrivals.length;
  await s.write(Buffer.from('written in the dark'));
  await new Promise((r) => setTimeout(r, 5_000));
  const back = performance.now();
  while (arrivals.length === n0 && performance.now() - back < 60_000) await new Promise((r) => setTimeout(r, 2));
  const recoveryMs = arrivals.length > n0 ? arrivals[n0]! - back : Infinity;
  await viaRelay.close(0, 'bench done');
  await relay.close();
  await server.close();
  return { handshakeMs, rates, recoveryMs, rttMs };
}

const fx = await makeQuicFixture(['VH-1']);
try {
  const base = await tlsBaseline(fx);
  console.log(`baseline TCP+TLS 1.3: handshake ${base.handshakeMs.toFixed(1)} ms; ${CASES.map((c, i) => `${c.perWrite}/write ${base.rates[i]!.perS.toFixed(0)} rec/s (${base.rates[i]!.cpuUs.toFixed(1)} µs CPU/rec)`).join(', ')} (${usage()})`);
  for (const name of availableEngines()) {
    const r = await engineRun(createEngine(name), fx);
    console.log(`${name}: handshake ${r.handshakeMs.toFixed(1)} ms (x${(r.handshakeMs / base.handshakeMs).toFixed(2)} of TCP+TLS) (${usage()})`);
    CASES.forEach((c, i) => {
      const rate = r.rates[i]!;
      const b = base.rates[i]!;
      console.log(
        `${name}: ${c.perWrite} records/write: ${rate.perS.toFixed(0)} records/s = ${((rate.perS * RECORD) / 1e6).toFixed(2)} MB/s (x${(rate.perS / b.perS).toFixed(3)} of TCP+TLS); ${rate.cpuUs.toFixed(1)} µs CPU/record (x${(rate.cpuUs / b.cpuUs).toFixed(1)} of TCP+TLS)`,
      );
    });
    console.log(`${name}: 5 s black hole: data written during it arrived ${r.recoveryMs.toFixed(0)} ms after the path returned (= ${(r.recoveryMs / Math.max(r.rttMs, 1)).toFixed(0)} RTTs of ${r.rttMs} ms) (${usage()})`);
  }
} finally {
  await fx.cleanup();
}
process.exit(0);
