/**
 * `geostream server --quic-retry MODE`: the mode is checked with errors naming the flag,
 * and a real server process in mode 'always' takes a vehicle that streams through its
 * Retry, and a flood of ClientHellos that only get Retries, logging them as a summary (a
 * few lines, not one per Retry).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-io.js';
import { makeFleet } from '../support/link-fixture.js';
import { MemSpool } from '../support/mem-spool.js';
import { summaryCounts } from '../support/log-summaries.js';
import { Attacker, clientHello } from '../support/quic-junk.js';
import { startServerProcess } from '../support/server-proc.js';
import { waitFor } from '../support/wait.js';
import { DeviceLink } from '../../src/link/device.js';
import { createEngine } from '../../src/quic/engines.js';
import { nativeAvailable } from '../../src/quic/native-loader.js';
import { deviceTls } from '../../src/tls/material.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';

describe('geostream server --quic-retry', () => {
  it('refuses an unknown mode, and a mode the engine cannot do, naming the flag', async () => {
    const base = ['server', '--listen', '127.0.0.1:0', '--db', '/nonexistent/x.db', '--ca', '/nonexistent'];
    const bad = await runCli([...base, '--quic-retry', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--quic-retry: unknown mode 'sometimes' \(known: auto, always, off\)/);
    const engine = await runCli([...base, '--engine', 'matrixai', '--quic-retry', 'always']);
    expect(engine.code).toBe(2);
    expect(engine.stderr).toMatch(/--quic-retry: the matrixai engine does not send Retry packets/);
  });

  it.skipIf(!nativeAvailable())("'always': a vehicle streams through the Retry, every record stored once; 500 more Initials get Retries, logged as a summary", async () => {
    const fleet = await makeFleet(['truck-retry']);
    const hellos = Array.from({ length: 500 }, () => clientHello(deviceTls(fleet.ca, 'truck-retry'), 4433));
    const db = join(fleet.dir, 'retry.db');
    const srv = await startServerProcess({ ca: fleet.ca, db, engine: 'ngtcp2', args: ['--quic-retry', 'always'] });
    const spool = new MemSpool();
    const link = new DeviceLink({ engine: createEngine('ngtcp2'), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, 'truck-retry'), clock: systemClock, log: silentLogger(), device: 'truck-retry', random: () => 0 });
    try {
      link.start();
      for (let i = 0; i < 50; i++) spool.append(Uint8Array.of(i), i);
      link.notify();
      await waitFor(() => spool.ackedSeq === spool.headSeq, 20_000, 'every record acked');
      await link.stop();
      const a = await Attacker.open();
      await a.flood(hellos.length, () => hellos.pop()!, srv.port, 50);
      await waitFor(() => a.datagramsBack >= 500, 20_000, '500 Retries');
      a.close();
      expect(a.received).toBeLessThanOrEqual(a.sent / 3);
      expect(await srv.stop()).toBe(0);
      const out = srv.output();
      expect(out).toMatch(/listening on .*QUIC Retry always/);
      expect(out).toMatch(/address validation: Initial answered with a Retry \(from 127\.0\.0\.1:\d+\)/);
      expect(summaryCounts(out, 'address validation').get('Initial answered with a Retry')).toBe(501);
      expect(out.split('\n').filter((l) => l.includes('address validation')).length).toBeLessThanOrEqual(5);
      expect(out).toMatch(/stopped: .* 1 connections, 0 handshakes refused, 501 Initials answered with a Retry/);
      const store = Store.openReadOnly(db);
      try {
        expect(store.seqs('truck-retry')).toHaveLength(50);
        expect(store.stats().find((s) => s.device === 'truck-retry')).toMatchObject({ duplicates: 0, handshakes: 1 });
      } finally {
        store.close();
      }
    } finally {
      await link.stop();
      await srv.stop();
      fleet.cleanup();
    }
  }, 60_000);
});
