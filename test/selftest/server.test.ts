import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFleet } from '../support/link-fixture.js';
import { startServerProcess, type ServerProc } from '../support/server-proc.js';
import { waitFor } from '../support/wait.js';
import { runCli } from '../support/cli-io.js';
import { loadConfig, type Config } from '../../src/agent/config.js';
import { caFiles, issueCert } from '../../src/tls/ca.js';
import { serverTls } from '../../src/tls/material.js';
import { DeviceLink } from '../../src/link/device.js';
import { tlsFromConfig } from '../../src/agent/pipeline.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import { Spool } from '../../src/spool/index.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { serverCheck } from '../../src/selftest/checks/server.js';
import { runChecks } from '../../src/selftest/runner.js';
import { defaultProbes } from '../../src/selftest/probe-registry.js';
import { serverProbe } from '../../src/selftest/probes/server.js';
import type { QuicServer } from '../../src/quic/engine.js';

/**
 * The self-test's server row against a real `geostream server` child process over
 * QUIC on loopback: the geostream/1.0 HELLO/WELCOME with the config's certificate,
 * and a FAIL with a reason and a fix for each way it goes wrong.
 */
describe('selftest server handshake (real server process)', () => {
  const fleet = useFleet(['TRUCK-042'], 'gs-selftest-srv-');
  const other = useFleet(['TRUCK-042'], 'gs-selftest-other-');
  let srv: ServerProc;
  let otherSrv: ServerProc;
  let n = 0;

  beforeAll(async () => {
    [srv, otherSrv] = await Promise.all([startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'a.db') }), startServerProcess({ ca: other.ca, db: join(other.dir, 'b.db') })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([srv?.stop(), otherSrv?.stop()]);
  });

  /** A vehicle config naming the fleet's files; `cert` picks whose certificate it carries. */
  function config(o: { port: number; id?: string; cert?: string; engine?: string }): Config {
    const d = join(fleet.dir, `cfg${n++}`);
    mkdirSync(d, { recursive: true });
    const cert = o.cert ?? 'TRUCK-042';
    const file = join(d, 'config.json');
    const server = { address: `127.0.0.1:${o.port}`, serverName: 'localhost', ca: caFiles(fleet.ca).cert, cert: join(fleet.ca, 'devices', `${cert}.pem`), key: join(fleet.ca, 'devices', `${cert}.key`), ...(o.engine ? { engine: o.engine } : {}) };
    writeFileSync(file, JSON.stringify({ vehicle: { id: o.id ?? 'TRUCK-042' }, board: 'sim', spool: { dir: join(d, 'spool') }, server }));
    return loadConfig(file);
  }

  /** The server row as `geostream selftest` runs it (runner, its timeout, the abort signal). */
  async function serverRow(cfg: Config) {
    const probes = { server: serverProbe(cfg, systemClock) };
    const [r] = await runChecks([serverCheck], { config: cfg, tlsDir: fleet.dir, clock: systemClock, probes });
    return r!;
  }

  it('PASS with the seq the server holds of this spool and the RTT; the session closes with the normal code', async () => {
    const cfg = config({ port: srv.port });
    // the vehicle streamed 5 records earlier: its spool's cursor says so, the server stored them
    const spool = await Spool.open({ dir: cfg.spool.dir, clock: systemClock, log: silentLogger() });
    for (let i = 1; i <= 5; i++) spool.append(Uint8Array.of(i), Date.now());
    await spool.flush();
    const link = new DeviceLink({ engine: createEngine('matrixai'), spool, server: cfg.server!.address, serverName: 'localhost', tls: tlsFromConfig(cfg.server!, cfg.file), clock: systemClock, log: silentLogger(), device: 'TRUCK-042' });
    link.start();
    await waitFor(() => spool.ackedSeq === 5, 10_000, 'records acked');
    await link.stop();
    await spool.close();

    const r = await serverRow(cfg);
    expect(r.status, JSON.stringify(r)).toBe('PASS');
    expect(r.summary).toMatch(new RegExp(`^127\\.0\\.0\\.1:${srv.port}: geostream/1\\.0, handshake \\d+ ms, RTT \\d+ ms \\(HELLO->WELCOME\\); server holds this spool up to seq 5$`));
    await waitFor(() => /TRUCK-042 disconnected \(peer: normal \(0x00\) selftest done\)/.test(srv.output()), 5000, 'server logged the orderly close');
    expect(srv.output()).not.toMatch(/refused TRUCK-042/);
  }, 30_000);

  it.each(availableEngines())('a vehicle without a spool yet, engine %s from the config: PASS, says there is none', async (engine) => {
    const r = await serverRow(config({ port: srv.port, engine }));
    expect(r).toMatchObject({ status: 'PASS' });
    expect(r.summary).toMatch(/; no spool on this device yet$/);
  }, 20_000);

  it('selftest with a server in the config: the server row is no longer SKIP', async () => {
    const cfg = config({ port: srv.port });
    const probes = defaultProbes(cfg, systemClock);
    expect(probes.server).toBeDefined();
    const res = await runCli(['selftest', '--config', cfg.file, '--only', 'server', '--json']);
    const row = (JSON.parse(res.stdout) as { checks: { id: string; status: string; summary: string }[] }).checks.find((c) => c.id === 'server')!;
    expect(row.status, row.summary).toBe('PASS');
    expect(res.code).toBe(0);
  }, 20_000);

  it.each(availableEngines())('a server whose certificate is from another CA (engine %s): FAIL naming the certificate, fix points at server.ca', async (engine) => {
    const r = await serverRow(config({ port: otherSrv.port, engine }));
    expect(r.status).toBe('FAIL');
    expect(r.summary).toBe(`no geostream/1.0 handshake with 127.0.0.1:${otherSrv.port}`);
    expect(r.reason).toMatch(/refused the server's certificate: .*(CN=localhost|localhost).*/i);
    expect(r.reason).toMatch(/CA|issuer|chain/i);
    expect(r.fix).toMatch(/server\.ca/);
  }, 20_000);

  it('a certificate for another vehicle than vehicle.id: FAIL with the identity refusal and what to fix', async () => {
    await issueCert(fleet.ca, { kind: 'device', vehicleId: 'TRUCK-077' });
    const r = await serverRow(config({ port: srv.port, id: 'TRUCK-042', cert: 'TRUCK-077' }));
    expect(r.status).toBe('FAIL');
    expect(r.reason).toMatch(/identity \(0x03\) HELLO names device "TRUCK-042" but the certificate is for "TRUCK-077"/);
    expect(r.fix).toMatch(/vehicle\.id/);
  }, 20_000);

  it('nothing listening: FAIL from the probe itself (its own deadline, inside the check budget), fix names the port', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    const port = sock.address().port;
    await new Promise<void>((res) => sock.close(() => res()));
    const r = await serverRow(config({ port }));
    expect(r.status).toBe('FAIL');
    // the runner's own timeout would say "no answer within 8.0 s"; the probe answered first
    expect(r.summary).toBe(`no geostream/1.0 handshake with 127.0.0.1:${port}`);
    expect(r.reason).toBe(`127.0.0.1:${port}: no QUIC handshake within 6 s (server down or unreachable?)`);
    expect(r.fix).toMatch(new RegExp(`UDP to port ${port}`));
  }, 20_000);

  it('a server that does not speak geostream/1.0: FAIL, wrong ALPN, fix points at server.address', async () => {
    const engine = createEngine('matrixai');
    const h3: QuicServer = await engine.listen({ host: '127.0.0.1', port: 0, alpn: ['h3'], tls: serverTls(fleet.ca, 'localhost'), idleTimeoutMs: 10_000, keepAliveMs: 0 });
    try {
      const r = await serverRow(config({ port: h3.address.port }));
      expect(r.status).toBe('FAIL');
      expect(r.reason).toMatch(/alpn|application protocol/i);
      expect(r.fix).toMatch(/does not speak geostream\/1\.0.*server\.address/);
    } finally {
      await h3.close();
    }
  }, 20_000);
});
