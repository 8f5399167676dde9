/**
 * Handoff benchmark device (vehicle namespace). For each trial it takes the cell
 * uplink down itself (so the clock starts the moment the route is gone), then
 * measures the time until the first record written after the handoff is
 * acknowledged by the server:
 *  - QUIC (ngtcp2 engine): the same connection carries on over Wi-Fi (the server
 *    follows the new address; no new handshake);
 *  - TCP + TLS 1.3 (node:tls): best case for TCP, the device reconnects at once
 *    (it is told of the route change; no failure detection counted): TCP handshake,
 *    TLS handshake, record, ack.
 * Between trials the cell uplink comes back and both links settle on it.
 *   env RIG_TLS_DIR, RIG_TRIALS
 */
import { execFileSync } from 'node:child_process';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { QuicStream } from '../../src/quic/engine.js';
import { deviceTls } from '../../src/tls/material.js';

const TRIALS = Number(process.env.RIG_TRIALS ?? 5);
const tls = deviceTls(process.env.RIG_TLS_DIR!, 'VH-RIG');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ip = (cmd: string): void => void execFileSync('bash', ['-c', `ip ${cmd}`]);

function cellDown(): void {
  ip('link set cell0 down');
}
function cellUp(): void {
  ip('link set cell0 up');
  ip('route replace default via 10.200.1.1 dev cell0 metric 100');
}

/** Waits for "ack SEQ" lines on a byte source. */
class Acks {
  private rest = '';
  private readonly waiters = new Map<number, () => void>();
  readonly seen = new Set<number>();
  feed(chunk: Uint8Array): void {
    this.rest += Buffer.from(chunk).toString();
    const lines = this.rest.split('\n');
    this.rest = lines.pop()!;
    for (const l of lines) {
      const seq = Number(l.split(' ')[1]);
      this.seen.add(seq);
      this.waiters.get(seq)?.();
    }
  }
  wait(seq: number): Promise<void> {
    if (this.seen.has(seq)) return Promise.resolve();
    return new Promise((r) => this.waiters.set(seq, r));
  }
}

const log = (m: string): void => void process.stderr.write(`${m}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function quicTrials(): Promise<{ rttMs: number; handoffMs: number[] }> {
  const conn = await createNgtcp2Engine({ activeMigration: (process.env.RIG_ACTIVE as 'fallback' | 'always' | 'off' | undefined) ?? 'fallback' }).connect({
    host: '10.200.9.2',
    port: 4433,
    serverName: 'localhost',
    alpn: ['geostream/1.0'],
    tls,
    idleTimeoutMs: 180_000,
    keepAliveMs: 20_000,
  });
  const s: QuicStream = await conn.openStream('bidi');
  const acks = new Acks();
  void (async () => {
    for await (const c of s) acks.feed(c);
  })().catch(() => undefined);
  let seq = 0;
  const rtts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await s.write(Buffer.from(`${++seq} ping\n`));
    await acks.wait(seq);
    rtts.push(performance.now() - t);
  }
  log(`quic rtts ${rtts.map((x) => x.toFixed(1)).join(' ')}`);
  const handoffMs: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    cellDown();
    const t0 = performance.now();
    log(`quic trial ${i}`);
    await s.write(Buffer.from(`${++seq} after handoff\n`));
    await acks.wait(seq);
    handoffMs.push(performance.now() - t0);
    cellUp();
    await sleep(1000);
    await s.write(Buffer.from(`${++seq} settle\n`));
    await acks.wait(seq);
    await sleep(500);
  }
  await conn.close(0, 'bench over');
  return { rttMs: median(rtts), handoffMs };
}

function tlsDial(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: '10.200.9.2', port: 4434, servername: 'localhost', cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.3', ALPNProtocols: ['geostream/1.0'] }, () => resolve(sock));
    sock.setNoDelay(true);
    sock.once('error', reject);
  });
}

async function tcpTrials(): Promise<{ rttMs: number; handoffMs: number[] }> {
  log('tcp');
  let sock = await tlsDial();
  let acks = new Acks();
  sock.on('data', (d: Buffer) => acks.feed(d));
  let seq = 0;
  const rtts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    sock.write(`${++seq} ping\n`);
    await acks.wait(seq);
    rtts.push(performance.now() - t);
  }
  const handoffMs: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    cellDown();
    const t0 = performance.now();
    sock.destroy();
    sock = await tlsDial();
    acks = new Acks();
    const a = acks;
    sock.on('data', (d: Buffer) => a.feed(d));
    sock.write(`${++seq} after handoff\n`);
    await acks.wait(seq);
    handoffMs.push(performance.now() - t0);
    cellUp();
    await sleep(1000);
    sock.destroy();
    sock = await tlsDial();
    acks = new Acks();
    const b = acks;
    sock.on('data', (d: Buffer) => b.feed(d));
    await sleep(500);
  }
  sock.destroy();
  return { rttMs: median(rtts), handoffMs };
}

async function main(): Promise<void> {
  const quic = await quicTrials();
  const tcp = await tcpTrials();
  process.stdout.write(`${JSON.stringify({ t: 'result', quic, tcp, at: Date.now() })}\n`);
  process.exit(0);
}

main().catch((e: Error) => {
  process.stdout.write(`${JSON.stringify({ t: 'fatal', message: e.message, at: Date.now() })}\n`);
  process.exit(1);
});
