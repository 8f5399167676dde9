import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { loadConfig, type Config } from '../../src/agent/config.js';
import { ProbeError, type Check, type SelftestContext } from '../../src/selftest/check.js';
import type { GnssSample, SelftestProbes } from '../../src/selftest/probe-types.js';
import { runChecks } from '../../src/selftest/runner.js';
import { checks } from '../../src/selftest/checks/index.js';
import { makeSpoolCheck } from '../../src/selftest/checks/spool.js';
import { makeClockCheck } from '../../src/selftest/checks/clock.js';
import { certCheck } from '../../src/selftest/checks/cert.js';
import { uartCheck } from '../../src/selftest/checks/uart.js';
import { gnssFixCheck } from '../../src/selftest/checks/gnss-fix.js';
import { i2cCheck } from '../../src/selftest/checks/i2c.js';
import { ledsCheck } from '../../src/selftest/checks/leds.js';
import { ignitionCheck } from '../../src/selftest/checks/ignition.js';
import { serverCheck } from '../../src/selftest/checks/server.js';
import { addonsCheck } from '../../src/selftest/checks/addons.js';
import { runCli as cli } from '../support/cli-io.js';
import { initCa, issueCert } from '../../src/tls/ca.js';

const root = mkdtempSync(join(tmpdir(), 'gs-selftest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** A config; with `server`, its ca/cert/key name `tls` (default tls/ beside the config), like a provisioned device's. */
function config(opts: { server?: string; spool?: string; id?: string; tls?: string } = {}): Config {
  const d = fresh();
  const file = join(d, 'config.json');
  const t = opts.tls ?? join(d, 'tls');
  const server = opts.server ? { server: { address: opts.server, ca: join(t, 'ca.pem'), cert: join(t, 'device.pem'), key: join(t, 'device.key') } } : {};
  writeFileSync(file, JSON.stringify({ vehicle: { id: opts.id ?? 'TRUCK-042' }, board: 'sim', spool: { dir: opts.spool ?? join(d, 'spool') }, ...server }));
  return loadConfig(file);
}

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
function ctx(over: Partial<SelftestContext> & { sample?: GnssSample | Error } = {}): SelftestContext {
  const clock = new ManualClock(1000, NOW - 1000);
  const base: SelftestContext = {
    config: config(),
    tlsDir: fresh(),
    clock,
    probes: {},
    signal: new AbortController().signal,
    gnss: async () => {
      if (over.sample instanceof Error) throw over.sample;
      return over.sample ?? null;
    },
  };
  return { ...base, ...over };
}

const sample = (o: Partial<GnssSample> = {}): GnssSample => ({ device: '/dev/serial0', durationMs: 1000, bytes: 800, sentences: 12, bad: 0, fix: { timeMs: NOW, mode: 3, sats: 9, hdop: 0.9 }, fixAtMono: 1000, ...o });
const gnssProbe = { sample: async () => sample() };

describe('selftest placeholders never PASS', () => {
  it.each(['uart', 'gnss-fix', 'i2c', 'leds', 'ignition'])('%s without its probe reports SKIP with the reason', async (id) => {
    const c = checks.find((x) => x.id === id)!;
    const r = await c.run(ctx({ probes: {} }));
    expect(r.status).toBe('SKIP');
    expect(r.summary).toMatch(/^no .+ in this config$/);
  });

  it.each(['uart', 'gnss-fix', 'i2c', 'leds', 'ignition'])('%s when the hardware code did not load: FAIL with the reason and the rebuild fix', async (id) => {
    const c = checks.find((x) => x.id === id)!;
    const why = "The module '/var/cache/geostream/epoll.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115.";
    const r = await c.run(ctx({ probes: {}, probesUnavailable: why }));
    expect(r.status).toBe('FAIL');
    expect(r.summary).toMatch(/not checked: the hardware code did not load$/);
    expect(r.reason).toBe(why);
    expect(r.fix).toMatch(/make package-arm64/);
  });

  it('server without a handshake probe: SKIP after the name resolves', async () => {
    const r = await serverCheck.run(ctx({ config: config({ server: 'localhost:4433' }) }));
    expect(r).toMatchObject({ status: 'SKIP', summary: 'localhost resolves; no handshake probe for this config' });
  });

  it('addons from source: SKIP (the executable checks them, see test/package/package.test.ts)', async () => {
    expect((await addonsCheck.run(ctx())).status).toBe('SKIP');
  });

  it('every check can finish inside the 15 s budget', () => {
    for (const c of checks) expect(c.timeoutMs, c.id).toBeLessThanOrEqual(12_000);
  });
});

describe('spool check', () => {
  it('a writable directory with room passes and the probe file is gone', async () => {
    const c = config();
    const r = await makeSpoolCheck().run(ctx({ config: c }));
    expect(r.status).toBe('PASS');
    expect(r.summary).toMatch(/spool: writable, \d+ MiB free of \d+ MiB/);
  });

  it('a file where the spool directory should be fails with the reason', async () => {
    const d = fresh();
    writeFileSync(join(d, 'spool'), 'not a dir');
    const r = await makeSpoolCheck().run(ctx({ config: config({ spool: join(d, 'spool') }) }));
    expect(r.status).toBe('FAIL');
    expect(r.reason).toMatch(/EEXIST|ENOTDIR/);
    expect(r.fix).toMatch(/spool\.dir/);
  });

  it('too little free space fails, little warns', async () => {
    const huge = 2 ** 60;
    expect((await makeSpoolCheck(huge, huge).run(ctx())).status).toBe('FAIL');
    const w = await makeSpoolCheck(0, huge).run(ctx());
    expect(w.status).toBe('WARN');
    expect(w.fix).toMatch(/free space/);
  });
});

describe('clock check', () => {
  const at = (offsetMs: number) => ctx({ probes: { gnss: gnssProbe }, sample: sample({ fix: { timeMs: NOW - offsetMs, mode: 3, sats: 9, hdop: 1 } }) });
  it('within 2 s of GNSS time passes', async () => expect((await makeClockCheck('/nonexistent').run(at(500))).status).toBe('PASS'));
  it('30 s off warns', async () => {
    const r = await makeClockCheck('/nonexistent').run(at(30_000));
    expect(r).toMatchObject({ status: 'WARN', summary: 'system clock ahead of GNSS by 30 s' });
  });
  it('an hour behind fails with the reason about certificates', async () => {
    const r = await makeClockCheck('/nonexistent').run(at(-3_600_000));
    expect(r.status).toBe('FAIL');
    expect(r.summary).toBe('system clock behind GNSS by 3600 s');
    expect(r.reason).toMatch(/certificates/);
  });
  it('ages the fix by the monotonic clock (a 5 s old fix is not 5 s off)', async () => {
    const c = at(0);
    (c.clock as ManualClock).advance(5000);
    const s = sample({ fix: { timeMs: NOW, mode: 3, sats: 9, hdop: 1 }, fixAtMono: 1000 });
    expect((await makeClockCheck('/nonexistent').run({ ...c, gnss: async () => s })).status).toBe('PASS');
  });
  it('without GNSS: an unset clock (1970) fails', async () => {
    const c = ctx();
    c.clock = new ManualClock(0, 0);
    expect((await makeClockCheck('/nonexistent').run(c)).status).toBe('FAIL');
  });
  it('without GNSS: NTP synchronised passes, otherwise SKIP', async () => {
    const marker = join(fresh(), 'synchronized');
    writeFileSync(marker, '');
    expect((await makeClockCheck(marker).run(ctx())).summary).toMatch(/NTP synchronised/);
    expect((await makeClockCheck('/nonexistent').run(ctx())).status).toBe('SKIP');
  });
});

describe('certificate check', () => {
  const caDir = join(root, 'ca');
  /** A TLS dir as make image lays it out, issued by the engine's CA code. */
  async function tls(id = 'TRUCK-042', ca = caDir): Promise<string> {
    const d = fresh();
    try {
      readFileSync(join(ca, 'ca.pem'));
    } catch {
      await initCa(ca);
    }
    const issued = await issueCert(ca, { kind: 'device', vehicleId: id }, { force: true });
    writeFileSync(join(d, 'device.pem'), issued.certPem);
    writeFileSync(join(d, 'device.key'), issued.keyPem, { mode: 0o600 });
    copyFileSync(join(ca, 'ca.pem'), join(d, 'ca.pem'));
    return d;
  }
  const validTo = (d: string) => Date.parse(new X509Certificate(readFileSync(join(d, 'device.pem'))).validTo);
  const withServer = (tlsDir: string) => config({ server: 'localhost:4433', tls: tlsDir });

  it('a fresh certificate from the fleet CA for this vehicle passes', async () => {
    const d = await tls();
    const r = await certCheck.run(ctx({ tlsDir: d, config: withServer(d), clock: new ManualClock(0, Date.now()) }));
    expect(r.status).toBe('PASS');
    expect(r.summary).toMatch(/^TRUCK-042, expires \d{4}-\d\d-\d\d \(\d+ days\)$/);
  });

  it('a private key readable by others fails with chmod as the fix', async () => {
    const d = await tls();
    chmodSync(join(d, 'device.key'), 0o644);
    const r = await certCheck.run(ctx({ tlsDir: d }));
    expect(r).toMatchObject({ status: 'FAIL', fix: `chmod 600 ${join(d, 'device.key')}` });
  });

  it("another vehicle's certificate fails", async () => {
    const r = await certCheck.run(ctx({ tlsDir: await tls('TRUCK-999') }));
    expect(r.status).toBe('FAIL');
    expect(r.summary).toBe('certificate is for "TRUCK-999", config says vehicle TRUCK-042');
  });

  it('a certificate not yet valid by the system clock fails pointing at the clock', async () => {
    const d = await tls();
    const from = Date.parse(new X509Certificate(readFileSync(join(d, 'device.pem'))).validFrom);
    const r = await certCheck.run({ ...ctx({ tlsDir: d }), clock: new ManualClock(0, from - 86_400_000) });
    expect(r.status).toBe('FAIL');
    expect(r.reason).toMatch(/is the clock right/);
  });

  it('a certificate from another CA fails', async () => {
    const d = await tls();
    copyFileSync(join(await tls('TRUCK-042', join(root, 'other-ca')), 'ca.pem'), join(d, 'ca.pem'));
    const r = await certCheck.run(ctx({ tlsDir: d }));
    expect(r.summary).toBe('the certificate is not signed by the fleet CA');
  });

  it('a server certificate in place of the device one is not a vehicle certificate', async () => {
    const d = await tls();
    const srv = await issueCert(caDir, { kind: 'server', name: 'TRUCK-042' }, { force: true });
    writeFileSync(join(d, 'device.pem'), srv.certPem);
    writeFileSync(join(d, 'device.key'), srv.keyPem, { mode: 0o600 });
    const r = await certCheck.run(ctx({ tlsDir: d }));
    expect(r.summary).toBe('not a vehicle certificate');
    expect(r.reason).toMatch(/SAN URI urn:geostream:vehicle:/);
  });

  it('a key from another issue fails', async () => {
    const d = await tls();
    copyFileSync(join(await tls(), 'device.key'), join(d, 'device.key'));
    expect((await certCheck.run(ctx({ tlsDir: d }))).summary).toBe('the key does not belong to the certificate');
  });

  it('near expiry warns (30 days), very near (7 days) and expired fail', async () => {
    const d = await tls();
    const to = validTo(d);
    const at = (ms: number) => ({ ...ctx({ tlsDir: d }), clock: new ManualClock(0, ms) });
    expect((await certCheck.run(at(to - 20 * 86_400_000))).status).toBe('WARN');
    expect((await certCheck.run(at(to - 3 * 86_400_000))).status).toBe('FAIL');
    const expired = await certCheck.run(at(to + 1000));
    expect(expired.summary).toMatch(/^expired /);
    expect(expired.fix).toMatch(/geostream ca issue/);
  });

  it('missing files fail when a server is configured, SKIP without one', async () => {
    const d = fresh();
    const r = await certCheck.run(ctx({ tlsDir: d, config: withServer(d) }));
    expect(r).toMatchObject({ status: 'FAIL', summary: `${join(d, 'device.pem')}: missing` });
    expect((await certCheck.run(ctx({ tlsDir: d }))).status).toBe('SKIP');
  });
});

describe('device checks with their probes', () => {
  it('uart: silence, noise and NMEA are told apart', async () => {
    const run = (s: Partial<GnssSample>) => uartCheck.run(ctx({ probes: { gnss: gnssProbe }, sample: sample(s) }));
    expect(await run({ bytes: 0, sentences: 0 })).toMatchObject({ status: 'FAIL', summary: '/dev/serial0: no bytes in 1.0 s' });
    expect((await run({ bytes: 900, sentences: 0, bad: 40 })).reason).toMatch(/baud rate/);
    expect((await run({})).summary).toBe('/dev/serial0: 12 valid sentences, 0 bad, in 1.0 s');
  });

  it("uart: the probe's own fix is shown when the port cannot be opened", async () => {
    const r = await uartCheck.run(ctx({ probes: { gnss: gnssProbe }, sample: new ProbeError('EACCES: /dev/serial0', 'add the user to dialout') }));
    expect(r).toMatchObject({ status: 'FAIL', reason: 'EACCES: /dev/serial0', fix: 'add the user to dialout' });
  });

  it('gnss-fix: no fix fails, 2D warns, 3D passes', async () => {
    const run = (fix: GnssSample['fix']) => gnssFixCheck.run(ctx({ probes: { gnss: gnssProbe }, sample: sample({ fix }) }));
    expect((await run({ timeMs: NOW, mode: 1, sats: 2, hdop: null })).summary).toBe('no fix (2 satellites)');
    expect((await run({ timeMs: NOW, mode: 2, sats: 4, hdop: 2 })).status).toBe('WARN');
    expect((await run({ timeMs: NOW, mode: 3, sats: 9, hdop: 0.9 })).summary).toBe('3D fix, 9 satellites, HDOP 0.9');
  });

  it('i2c: a chip answering the wrong identity fails naming it', async () => {
    const probes: SelftestProbes = {
      i2c: { identify: async () => [
        { name: 'env', bus: 1, address: 0x76, expected: 'BME280 chip id 0x60', found: 'chip id 0x58', ok: false },
        { name: 'adc', bus: 1, address: 0x48, expected: 'ADS1115', found: 'ADS1115', ok: true },
      ] },
    };
    const r = await i2cCheck.run(ctx({ probes }));
    expect(r.status).toBe('FAIL');
    expect(r.reason).toBe('env at 0x76 on bus 1: answered chip id 0x58, expected BME280 chip id 0x60');
  });

  it('leds and ignition report what the probe did', async () => {
    const probes: SelftestProbes = {
      leds: { cycle: async () => [{ led: 'gnss', ok: true }, { led: 'fault', ok: false, error: 'EINVAL exporting 529' }] },
      ignition: { read: async () => ({ on: true, line: 'GPIO17' }) },
    };
    expect((await ledsCheck.run(ctx({ probes }))).reason).toBe('fault: EINVAL exporting 529');
    expect((await ignitionCheck.run(ctx({ probes }))).summary).toMatch(/^GPIO17: ignition ON/);
  });

  it('server: an unresolvable name fails before any handshake', async () => {
    let called = false;
    const probes: SelftestProbes = { server: { handshake: async () => ((called = true), { address: 'x', alpn: 'geostream/1.0', rttMs: 1 }) } };
    const r = await serverCheck.run(ctx({ probes, config: config({ server: 'ingest.invalid:4433' }) }));
    expect(r).toMatchObject({ status: 'FAIL', summary: 'cannot resolve ingest.invalid' });
    expect(called).toBe(false);
  });
});

describe('selftest runner and command', () => {
  it('a hanging check fails with "no answer" after its timeout, a throwing one fails, the rest still report', async () => {
    const hang: Check = { id: 'hang', title: 'hangs', timeoutMs: 100, run: () => new Promise(() => undefined) };
    const boom: Check = { id: 'boom', title: 'throws', timeoutMs: 100, run: async () => { throw new Error('kaput'); } };
    const ok: Check = { id: 'ok', title: 'fine', timeoutMs: 100, run: async () => ({ status: 'PASS', summary: 'fine' }) };
    const r = await runChecks([hang, boom, ok], { config: undefined, tlsDir: '/x', clock: new ManualClock(), probes: {} });
    expect(r.map((x) => [x.id, x.status])).toEqual([['hang', 'FAIL'], ['boom', 'FAIL'], ['ok', 'PASS']]);
    expect(r[0]!.summary).toBe('no answer within 0.1 s');
    expect(r[1]!.reason).toBe('kaput');
  });

  it('the UART, fix and clock checks share one GNSS sample', async () => {
    let calls = 0;
    const probes: SelftestProbes = { gnss: { sample: async () => (calls++, sample()) } };
    const picked = checks.filter((c) => ['uart', 'gnss-fix', 'clock'].includes(c.id));
    const r = await runChecks(picked, { config: config(), tlsDir: '/x', clock: new ManualClock(1000, NOW - 1000), probes });
    expect(r.map((x) => x.status)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(calls).toBe(1);
  });

  it('geostream selftest exits 1 on a FAIL and prints reason and fix under it', async () => {
    const c = config({ server: 'localhost:4433' });
    const r = await cli(['selftest', '--config', c.file, '--only', 'config,spool,cert']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/device certificate +FAIL +.*device\.pem: missing\n +reason: .*\n +fix: +issue a new certificate/);
    expect(r.stdout).toMatch(/3 checks: 2 PASS, 0 WARN, 1 FAIL, 0 SKIP in [\d.]+ s: FAILED/);
  });

  it('geostream selftest --json exits 0 when nothing fails', async () => {
    const c = config();
    const r = await cli(['selftest', '--config', c.file, '--json']);
    const j = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    expect(j.ok).toBe(true);
    expect(j.checks.map((x: { id: string }) => x.id)).toEqual(checks.map((x) => x.id));
    expect(j.counts.FAIL).toBe(0);
  });

  it('a config that does not load is the first FAIL row, with the file and key named', async () => {
    const f = join(fresh(), 'config.json');
    writeFileSync(f, JSON.stringify({ vehicle: { id: 'T-1' }, board: 'sim', spool: { dri: '/x' } }));
    const r = await cli(['selftest', '--config', f, '--only', 'config,spool']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/config and board files +FAIL +the config did not load\n +reason: .*config\.json: key 'spool\.dri': unknown key/);
    expect(r.stdout).toMatch(/spool writable, free space +SKIP +needs a valid config/);
  });

  it('--only with an unknown check is a usage error naming the known ones', async () => {
    const r = await cli(['selftest', '--only', 'uart,flux']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown check 'flux' \(known: config, addons, uart/);
  });
});
