/**
 * A junk flood from its own process (so it does not share an event loop with the
 * vehicles it disturbs): `node --import tsx test/support/junk-flooder.ts PORT RATE SECONDS`
 * sends RATE datagrams per second to 127.0.0.1:PORT for SECONDS, cycling through tiny
 * Initials, garbage Initials, stray Handshakes, version bait and random datagrams, paced
 * by the clock every 10 ms. Prints "flooding" when the first datagram goes out, then
 * one JSON line: datagrams and bytes sent, bytes and datagrams back, the rate achieved,
 * its own CPU time.
 */
import { Attacker, garbageInitial, randomDatagram, strayHandshake, tinyInitial, versionBait } from './quic-junk.js';

const KINDS = [tinyInitial, garbageInitial, strayHandshake, versionBait, randomDatagram];

async function main(): Promise<void> {
  const [port, rate, seconds] = process.argv.slice(2).map(Number);
  if (!port || !rate || !seconds) throw new Error('usage: junk-flooder.ts PORT RATE SECONDS');
  const a = await Attacker.open();
  process.stdout.write('flooding\n');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  for (;;) {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= seconds) break;
    for (const due = Math.floor(elapsed * rate); n < due; n++) a.send(KINDS[n % KINDS.length]!(), port);
    await new Promise((r) => setTimeout(r, 10));
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 500)); // late answers
  a.close();
  process.stdout.write(`${JSON.stringify({ datagrams: n, bytes: a.sent, back: a.received, datagramsBack: a.datagramsBack, rate: n / s, cpuPct: (cpu.user + cpu.system) / 1e4 / s })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
