/**
 * QUIC Retry on the ngtcp2 server (src/quic/ngtcp2-retry.ts), real UDP on loopback:
 *  - connect time of a vehicle (engine connect() resolved) through a relay adding
 *    GS_BENCH_RETRY_DELAY_MS (20) each way, GS_BENCH_RETRY_CONNECTS (20) connects per
 *    mode, interleaved: Retry 'always' against 'off' (the baseline, same run); the
 *    difference in round trips of the relay's RTT;
 *  - during a handshake flood (ClientHellos from ten loopback addresses, never followed
 *    up, 700 at first then 1,000 per second), GS_BENCH_RETRY_VEHICLES (30) vehicles
 *    connect at once (4 s handshake timeout): how many get in with 'auto', against 'off'.
 * The machine is shared: the load average is printed.
 */
import { loadavg } from 'node:os';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { Ngtcp2Server } from '../../src/quic/ngtcp2-server.js';
import type { RetryMode } from '../../src/quic/ngtcp2-retry.js';
import { clientHellos, FLOOD_HOSTS, HandshakeFlood, handled } from '../support/handshake-flood.js';
import { makeQuicFixture, type QuicFixture } from '../support/quic-fixture.js';
import { UdpRelay } from '../support/udp-relay.js';
import { waitFor } from '../support/wait.js';

const DELAY_MS = Number(process.env.GS_BENCH_RETRY_DELAY_MS ?? 20);
const CONNECTS = Number(process.env.GS_BENCH_RETRY_CONNECTS ?? 20);
const VEHICLES = Number(process.env.GS_BENCH_RETRY_VEHICLES ?? 30);
const FILL_PER_HOST = 70;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const load = (): string => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

async function listen(fx: QuicFixture, mode: RetryMode): Promise<Ngtcp2Server> {
  return (await createNgtcp2Engine({ retry: mode }).listen({ ...fx.common(fx.server), host: '127.0.0.1', port: 0 })) as Ngtcp2Server;
}

/** ms until connect() resolved, through `port`. */
async function connectMs(fx: QuicFixture, port: number, handshakeTimeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  const c = await createNgtcp2Engine().connect({ ...fx.common(fx.device('VH-1')), host: '127.0.0.1', port, serverName: 'localhost', handshakeTimeoutMs });
  const ms = performance.now() - t0;
  await c.close(0, 'bench');
  return ms;
}

async function connectTimes(fx: QuicFixture): Promise<void> {
  const modes: RetryMode[] = ['off', 'always'];
  const servers = await Promise.all(modes.map((m) => listen(fx, m)));
  const relays = await Promise.all(servers.map((s) => UdpRelay.start({ host: '127.0.0.1', port: s.address.port })));
  for (const r of relays) r.delayMs = DELAY_MS;
  const times: number[][] = modes.map(() => []);
  for (let i = 0; i < CONNECTS; i++) for (const [k, r] of relays.entries()) times[k]!.push(await connectMs(fx, r.address.port));
  const [off, always] = times.map(median) as [number, number];
  const rtt = 2 * DELAY_MS;
  console.log(`connect through a ${rtt} ms RTT path, median of ${CONNECTS}: without Retry ${off.toFixed(1)} ms (${(off / rtt).toFixed(2)} RTT), with Retry ${always.toFixed(1)} ms (${(always / rtt).toFixed(2)} RTT): x${(always / off).toFixed(2)}, +${((always - off) / rtt).toFixed(2)} RTT; Retries ${servers[1]!.stats().retries}, tokens accepted ${servers[1]!.stats().tokensAccepted} (${load()})`);
  for (const r of relays) await r.close();
  for (const s of servers) await s.close();
}

async function underFlood(fx: QuicFixture, hellos: Buffer[], mode: RetryMode): Promise<{ connected: number; medianMs: number }> {
  const server = await listen(fx, mode);
  try {
    const flood = await HandshakeFlood.burst(hellos, server.address.port, FILL_PER_HOST);
    await waitFor(() => handled(server) >= FLOOD_HOSTS.length * FILL_PER_HOST, 30_000, 'the flood taken in');
    flood.keepUp();
    const tries = await Promise.allSettled(Array.from({ length: VEHICLES }, () => connectMs(fx, server.address.port, 4000)));
    const f = await flood.stop();
    const ok = tries.filter((t): t is PromiseFulfilledResult<number> => t.status === 'fulfilled').map((t) => t.value);
    const st = server.stats();
    console.log(`${mode}: ${ok.length} of ${VEHICLES} vehicles connected during the flood${ok.length ? ` (median ${median(ok).toFixed(0)} ms)` : ''}; server: ${st.pending} handshakes in progress, ${st.retries} Retries, ${st.tokensAccepted} tokens accepted, ${st.refused['too many handshakes in progress'] ?? 0} Initials refused as over the bound; flood got back ${(f.back / f.sent).toFixed(2)}x what it sent (worst address ${f.worstRatio.toFixed(2)}x) (${load()})`);
    return { connected: ok.length, medianMs: median(ok) };
  } finally {
    await server.close();
  }
}

const fx = await makeQuicFixture(['VH-1', 'FLOOD']);
try {
  await connectTimes(fx);
  const hellos = clientHellos(fx.device('FLOOD'), FLOOD_HOSTS.length * FILL_PER_HOST + 6000);
  const off = await underFlood(fx, hellos, 'off');
  const auto = await underFlood(fx, hellos, 'auto');
  console.log(`during the handshake flood: ${auto.connected} of ${VEHICLES} vehicles connected with Retry 'auto' against ${off.connected} with 'off' (x${off.connected ? (auto.connected / off.connected).toFixed(1) : 'inf'})`);
} finally {
  await fx.cleanup();
}
process.exit(0);
