/**
 * Connections `geostream server` must refuse, driven by the aioquic peer
 * (test/e2e/peer/refusals.py) and judged by docs/CA.md "Verification" and
 * docs/PROTOCOL.md "Close codes": TLS failures and a wrong ALPN end the QUIC handshake
 * with a TLS alert (QUIC transport error 0x100 + alert), before any application data;
 * a HELLO naming another vehicle or an unknown version is closed with the application
 * code, after a CLOSE frame with the same code. Nothing refused is stored or counted as
 * a session, and the server keeps serving the vehicle whose certificate is good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aioquicRoot, openBench, type Bench, type PeerEvent } from './peer.js';

let bench: Bench;

beforeAll(async () => {
  bench = await openBench(aioquicRoot());
  await bench.device('truck-1');
  await bench.device('truck-2');
  await bench.device('truck-9');
  const day = 86_400_000;
  await bench.device('truck-old', { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
}, 20 * 60_000);

afterAll(async () => {
  await bench?.close();
});

const TLS_ALERT = 0x100;

function rows(): number {
  return bench.query<{ n: number }>('SELECT (SELECT COUNT(*) FROM records) + (SELECT COUNT(*) FROM gaps) AS n')[0]!.n;
}

/** The vehicle's `handshakes` counter (sessions begun), read from the devices table; undefined without a row. */
function handshakes(device: string): number | undefined {
  return bench.query<{ handshakes: number }>('SELECT handshakes FROM devices WHERE device = ?', device)[0]?.handshakes;
}

/** The transport close of a refused handshake: TLS alert `alert`, no WELCOME, no CLOSE frame. */
function expectAlert(r: PeerEvent, alert: number): void {
  const why = JSON.stringify(r);
  expect(r.terminated, why).toMatchObject({ kind: 'transport', code: TLS_ALERT + alert });
  expect(r.welcome, why).toBe(false);
  expect(r.close, why).toBeNull();
}

describe('TLS refusals end the handshake with the alert docs/CA.md names', () => {
  it('no client certificate: certificate_required (116)', async () => {
    const r = (await bench.peer(['--scenario', 'handshake'], { cert: null })).one('handshake');
    expectAlert(r, 116);
  });

  it('a certificate for the same vehicle id from another CA: unknown_ca (48)', async () => {
    const r = (await bench.peer(['--scenario', 'handshake'], { cert: await bench.foreignDevice('truck-1') })).one('handshake');
    expectAlert(r, 48);
  });

  it('a revoked certificate: certificate_revoked (44), from the next handshake after `ca revoke`, no restart', async () => {
    const before = (await bench.peer(['--scenario', 'handshake'], { device: 'truck-9' })).one('handshake');
    expect(before.welcome, JSON.stringify(before)).toBe(true);
    await bench.revoke('truck-9');
    const r = (await bench.peer(['--scenario', 'handshake'], { device: 'truck-9' })).one('handshake');
    expectAlert(r, 44);
  });

  it('an expired certificate: certificate_expired (45)', async () => {
    const r = (await bench.peer(['--scenario', 'handshake'], { device: 'truck-old' })).one('handshake');
    expectAlert(r, 45);
  });

  it("the server's own certificate offered as a client certificate: unsupported_certificate (43)", async () => {
    const r = (await bench.peer(['--scenario', 'handshake'], { cert: { cert: `${bench.ca}/servers/localhost.pem`, key: `${bench.ca}/servers/localhost.key` } })).one('handshake');
    expectAlert(r, 43);
  });

  it('a wrong ALPN: no_application_protocol (120), with a good certificate', async () => {
    const r = (await bench.peer(['--scenario', 'handshake', '--alpn', 'geostream/0.9'])).one('handshake');
    expectAlert(r, 120);
    expect(r.completed).toBe(false);
  });
});

describe('HELLO refusals close with the application code, after a CLOSE frame', () => {
  it("a HELLO naming another vehicle than the certificate's: identity (0x03)", async () => {
    const r = (await bench.peer(['--scenario', 'hello', '--hello-device', 'truck-2'])).one('hello');
    const why = JSON.stringify(r);
    expect(r.welcome, why).toBe(false);
    expect(r.terminated, why).toMatchObject({ kind: 'application', code: 0x03 });
    expect(r.close, why).toMatchObject({ code: 0x03 });
    expect(String((r.close as { reason: string }).reason), why).toMatch(/truck-2/);
  });

  it('protocol version 2: version (0x04)', async () => {
    const r = (await bench.peer(['--scenario', 'hello', '--hello-v', '2'])).one('hello');
    expect(r.terminated, JSON.stringify(r)).toMatchObject({ kind: 'application', code: 0x04 });
    expect(r.close, JSON.stringify(r)).toMatchObject({ code: 0x04 });
  });

  it('record schema 99: version (0x04)', async () => {
    const r = (await bench.peer(['--scenario', 'hello', '--hello-schema', '99'])).one('hello');
    expect(r.terminated, JSON.stringify(r)).toMatchObject({ kind: 'application', code: 0x04 });
    expect(r.close, JSON.stringify(r)).toMatchObject({ code: 0x04 });
  });
});

it('after the refusals: nothing stored, no session counted for a refused vehicle, a good vehicle still streams', async () => {
  expect(rows()).toBe(0);
  expect(handshakes('truck-1')).toBeUndefined();
  expect(handshakes('truck-2')).toBeUndefined();
  expect(handshakes('truck-old')).toBeUndefined();
  expect(handshakes('truck-9')).toBe(1);
  const r = (await bench.peer(['--scenario', 'stream', '--records', '20', '--batch', '5'])).one('acked');
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true, uncommitted: [], terminated: null });
  expect(rows()).toBe(20);
  expect(handshakes('truck-1')).toBe(1);
  expect(bench.stats().devices.map((d) => [d.device, d.handshakes])).toEqual([
    ['truck-1', 1],
    ['truck-9', 1],
  ]);
  expect(bench.server.proc.exitCode).toBeNull();
  const log = bench.server.output();
  expect(log).toMatch(/handshake refused/);
  expect(log).toMatch(/refused truck-1 .*identity \(0x03\)/);
});
