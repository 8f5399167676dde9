/**
 * ngtcp2 engine benchmark, every figure against a baseline measured in the same run:
 *  1. handoff (namespace rig, 80 ms RTT via NFQUEUE delay): time from the cell
 *     uplink going down to the first record acknowledged over Wi-Fi, in RTTs; QUIC
 *     keeps its connection, the baseline is a TCP + TLS 1.3 reconnect (node:tls)
 *     started at once (best case for TCP: no failure detection counted);
 *  2. outage recovery on loopback (udp-relay black hole of OUTAGE_S): time from the
 *     path's return to the first record written during the hole arriving; baseline
 *     the @matrixai/quic engine on the same hole;
 *  3. throughput: 64-byte records, 50 per write, one stream, until the receiver has
 *     every byte; baseline the @matrixai/quic engine.
 * Run: node --import tsx test/bench/native.bench.ts (as root for part 1).
 */
import { spawnSync } from 'node:child_process';
import { createEngine } from '../../src/quic/engines.js';
import type { QuicEngine, QuicStream } from '../../src/quic/engine.js';
import { repoRoot } from '../support/shared.js';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';
import { runBench } from '../support/bench-main.js';

const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 30);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 50_000);
const RECORD = 64;
const PER_WRITE = 50;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 1): string => x.toFixed(d);

function handoff(): void {
  console.log('\n-- 1. handoff to first acknowledged record, namespace rig, 80 ms RTT');
  if (process.getuid?.() !== 0) {
    console.log('FAILED: needs root for network namespaces (run the bench as root)');
    process.exitCode = 1;
    return;
  }
  const r = spawnSync('unshare', ['-nm', '--propagation', 'private', process.execPath, '--import', 'tsx', 'test/rig/native-handoff.ts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, RIG_NS_PREFIX: 'gsb', RIG_TRIALS: '7' },
    timeout: 300_000,
  });
  const line = r.stdout.split('\n').find((l) => l.includes('"t":"result"'));
  if (!line) {
    console.log(`FAILED (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    process.exitCode = 1;
    return;
  }
  const res = JSON.parse(line) as { quic: { rttMs: number; handoffMs: number[] }; tcp: { rttMs: number; handoffMs: number[] } };
  const q = median(res.quic.handoffMs);
  const t = median(res.tcp.handoffMs);
  const rtt = res.quic.rttMs;
  console.log(`RTT measured: QUIC ${fmt(res.quic.rttMs)} ms, TCP+TLS ${fmt(res.tcp.rttMs)} ms`);
  console.log(`QUIC (same connection):      median ${fmt(q, 0)} ms = ${fmt(q / rtt, 2)} RTT   trials ${res.quic.handoffMs.map((x) => fmt(x, 0)).join(' ')}`);
  console.log(`TCP+TLS 1.3 reconnect:       median ${fmt(t, 0)} ms = ${fmt(t / res.tcp.rttMs, 2)} RTT   trials ${res.tcp.handoffMs.map((x) => fmt(x, 0)).join(' ')}`);
  console.log(`ratio QUIC / TCP+TLS: ${fmt(q / t, 2)} (target: <= 1 RTT for QUIC; TCP+TLS needs >= 3 plus failure detection)`);
}

async function pair(fx: QuicFixture, engine: QuicEngine, viaRelay: boolean) {
  const server = await engine.listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 });
  const relay = viaRelay ? await UdpRelay.start({ host: '127.0.0.1', port: server.address.port }) : null;
  let bytes = 0;
  const arrivals: number[] = [];
  server.on('connection', (c) =>
    c.on('stream', (s: QuicStream) => {
      void (async () => {
        for await (const chunk of s) {
          bytes += chunk.byteLength;
          arrivals.push(performance.now());
        }
      })().catch(() => undefined);
    }),
  );
  const conn = await engine.connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port: relay?.address.port ?? server.address.port, serverName: 'localhost' });
  const stream = await conn.openStream('uni');
  return {
    relay,
    stream,
    bytes: () => bytes,
    arrivals,
    close: async () => {
      await conn.close(0, 'bench over').catch(() => undefined);
      await server.close().catch(() => undefined);
      await relay?.close();
    },
  };
}

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}

async function outage(fx: QuicFixture, name: 'ngtcp2' | 'matrixai'): Promise<number | null> {
  const p = await pair(fx, createEngine(name), true);
  try {
    await p.stream.write(Buffer.alloc(RECORD));
    await until(() => p.bytes() >= RECORD, 5000);
    p.relay!.blackhole(OUTAGE_S * 1000);
    for (let i = 0; i < OUTAGE_S; i++) {
      void p.stream.write(Buffer.alloc(RECORD)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await until(() => !p.relay!.blackholed, 5000);
    const back = performance.now();
    const n = p.arrivals.length;
    const ok = await until(() => p.arrivals.length > n, 60_000);
    return ok ? p.arrivals[n]! - back : null;
  } finally {
    await p.close();
  }
}

async function throughput(fx: QuicFixture, name: 'ngtcp2' | 'matrixai'): Promise<number> {
  const p = await pair(fx, createEngine(name), false);
  try {
    const batch = Buffer.alloc(RECORD * PER_WRITE, 1);
    const total = RECORDS * RECORD;
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += batch.length) await p.stream.write(batch);
    await until(() => p.bytes() >= total, 120_000);
    return RECORDS / ((performance.now() - t0) / 1000);
  } finally {
    await p.close();
  }
}

async function main(): Promise<void> {
  handoff();
  const fx = await makeQuicFixture(['VH-1']);
  try {
    console.log(`\n-- 2. outage recovery after a ${OUTAGE_S} s black hole (loopback relay), records written during the hole`);
    const on = await outage(fx, 'ngtcp2');
    const om = await outage(fx, 'matrixai');
    const show = (x: number | null): string => (x === null ? 'never (60 s)' : `${fmt(x, 0)} ms`);
    console.log(`ngtcp2:   first record ${show(on)} after the path returned`);
    console.log(`matrixai: first record ${show(om)} after the path returned (baseline)`);
    if (on !== null && om !== null) console.log(`ratio ngtcp2 / matrixai: ${fmt(on / om, 2)} (target: ngtcp2 <= 1000 ms)`);

    console.log(`\n-- 3. throughput, ${RECORDS} records of ${RECORD} bytes, ${PER_WRITE} per write, one stream, loopback`);
    const tn = await throughput(fx, 'ngtcp2');
    const tm = await throughput(fx, 'matrixai');
    console.log(`ngtcp2:   ${fmt(tn, 0)} records/s`);
    console.log(`matrixai: ${fmt(tm, 0)} records/s (baseline)`);
    console.log(`ratio ngtcp2 / matrixai: ${fmt(tn / tm, 2)} (target: >= 1)`);
  } finally {
    await fx.cleanup();
  }
}

runBench(main);
