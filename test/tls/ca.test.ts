/**
 * Fleet CA, certificates, revocation and peer verification. openssl checks our
 * output independently (chain, usage and the CRL), so a certificate only our own
 * verifier accepts fails here.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { initCa, issueCert, loadCa, revokeCert } from '../../src/tls/ca.js';
import { CertificateError, vehicleIdFromCert } from '../../src/tls/identity.js';
import { CrlFile } from '../../src/tls/revocation.js';
import { createPeerVerifier } from '../../src/tls/verify.js';
import { TLS_ALERT } from '../../src/tls/alerts.js';
import { EC_P256, subtle, x509 } from '../../src/tls/x509.js';
import { captureIo } from '../support/cli-io.js';

const cli = captureIo;
const der = (pem: string) => new X509Certificate(pem).raw;
const mode = (p: string) => statSync(p).mode & 0o777;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'geostream-ca-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('geostream ca', () => {
  it('creates a CA and device/server certificates with private keys only the owner can read', async () => {
    const dir = join(root, 'cli-ca');
    const t = cli();
    expect(await main(['ca', 'init', '--dir', dir], t.io)).toBe(0);
    expect(await main(['ca', 'issue', '--dir', dir, 'VH-0042'], t.io)).toBe(0);
    expect(await main(['ca', 'issue', '--dir', dir, '--server', 'ingest.example.org', '--alt', '10.200.0.1'], t.io)).toBe(0);
    expect(t.out()).toMatch(/issued .*VH-0042\.pem/);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'ca.key'))).toBe(0o600);
    expect(mode(join(dir, 'devices'))).toBe(0o700);
    expect(mode(join(dir, 'devices', 'VH-0042.key'))).toBe(0o600);
    expect(mode(join(dir, 'servers', 'ingest.example.org.key'))).toBe(0o600);
    const dev = new X509Certificate(readFileSync(join(dir, 'devices', 'VH-0042.pem')));
    expect(dev.subject).toContain('CN=VH-0042');
    expect(dev.subjectAltName).toBe('URI:urn:geostream:vehicle:VH-0042');
    expect(dev.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(vehicleIdFromCert(dev.raw)).toBe('VH-0042');
    const srv = new X509Certificate(readFileSync(join(dir, 'servers', 'ingest.example.org.pem')));
    expect(srv.checkHost('ingest.example.org')).toBe('ingest.example.org');
    expect(srv.checkIP('10.200.0.1')).toBe('10.200.0.1');
  });

  it('refuses to overwrite a CA or a certificate, and names the problem', async () => {
    const dir = join(root, 'cli-ca');
    const t = cli();
    expect(await main(['ca', 'init', '--dir', dir], t.io)).toBe(2);
    expect(t.err()).toMatch(/already holds a fleet CA/);
    expect(await main(['ca', 'issue', '--dir', dir, 'VH-0042'], t.io)).toBe(2);
    expect(t.err()).toMatch(/already exists; pass --force/);
    expect(await main(['ca', 'issue', '--dir', dir, 'VH-0042', '--force'], t.io)).toBe(0);
  });

  it('rejects a bad vehicle id, a missing CA and an exposed CA key with clear errors', async () => {
    const t = cli();
    expect(await main(['ca', 'issue', '--dir', join(root, 'cli-ca'), '../etc/passwd'], t.io)).toBe(2);
    expect(t.err()).toMatch(/invalid vehicle id '\.\.\/etc\/passwd'/);
    expect(await main(['ca', 'issue', '--dir', join(root, 'nowhere'), 'VH-1'], t.io)).toBe(2);
    expect(t.err()).toMatch(/no fleet CA in .*nowhere.*geostream ca init/);
    const dir = join(root, 'exposed');
    await initCa(dir);
    chmodSync(join(dir, 'ca.key'), 0o644);
    expect(await main(['ca', 'issue', '--dir', dir, 'VH-1'], t.io)).toBe(2);
    expect(t.err()).toMatch(/ca\.key is readable by others \(mode 644\)/);
    expect(existsSync(join(dir, 'devices', 'VH-1.pem'))).toBe(false);
  });

  it('writes certificates and a CRL that openssl verifies independently', async () => {
    const dir = join(root, 'openssl');
    await initCa(dir);
    const good = await issueCert(dir, { kind: 'device', vehicleId: 'VH-OK' });
    const bad = await issueCert(dir, { kind: 'device', vehicleId: 'VH-BAD' });
    await revokeCert(dir, { kind: 'device', vehicleId: 'VH-BAD' });
    const verify = (cert: string) => {
      try {
        return execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-crl_check', '-CRLfile', join(dir, 'crl.pem'), '-purpose', 'sslclient', cert], { encoding: 'utf8', stdio: 'pipe' });
      } catch (err) {
        return String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
      }
    };
    expect(verify(good.certPath)).toMatch(/: OK/);
    expect(verify(bad.certPath)).toMatch(/certificate revoked/);
  });
});

describe('peer verification', () => {
  let dir: string;
  let caPem: string;
  beforeAll(async () => {
    dir = join(root, 'verify');
    caPem = (await initCa(dir)).certPem;
  });

  it('accepts a device of the fleet and refuses one of another CA as unknown CA', async () => {
    const v = createPeerVerifier({ caPem, peer: 'client' });
    const ok = await issueCert(dir, { kind: 'device', vehicleId: 'VH-A' });
    expect(v.verify([der(ok.certPem)])).toEqual({ ok: true });
    const other = join(root, 'other');
    await initCa(other, { name: 'rogue CA' });
    const rogue = await issueCert(other, { kind: 'device', vehicleId: 'VH-A' });
    const r = v.verify([der(rogue.certPem)]);
    expect(r).toMatchObject({ ok: false, alert: TLS_ALERT.unknown_ca });
    expect(!r.ok && r.message).toMatch(/issued by CN=rogue CA, not by the trusted CA CN=geostream fleet CA/);
  });

  it('refuses an expired and a not-yet-valid certificate', async () => {
    const v = createPeerVerifier({ caPem, peer: 'client' });
    const day = 86_400_000;
    const old = await issueCert(dir, { kind: 'device', vehicleId: 'VH-OLD' }, { notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) });
    const r = v.verify([der(old.certPem)]);
    expect(r).toMatchObject({ ok: false, alert: TLS_ALERT.certificate_expired });
    expect(!r.ok && r.message).toMatch(/CN=VH-OLD expired at/);
    const future = await issueCert(dir, { kind: 'device', vehicleId: 'VH-NEW' }, { notBefore: new Date(Date.now() + day), days: 30 });
    expect(v.verify([der(future.certPem)])).toMatchObject({ ok: false, message: expect.stringMatching(/not valid before/) });
  });

  it('sees a revocation at the next handshake without a restart (CRL re-read on change)', async () => {
    const crl = new CrlFile(join(dir, 'crl.pem'), caPem);
    const v = createPeerVerifier({ caPem, peer: 'client', revoked: crl });
    const c = await issueCert(dir, { kind: 'device', vehicleId: 'VH-LOST' });
    expect(v.verify([der(c.certPem)])).toEqual({ ok: true });
    const t = cli();
    expect(await main(['ca', 'revoke', '--dir', dir, 'VH-LOST'], t.io)).toBe(0);
    const r = v.verify([der(c.certPem)]);
    expect(r).toMatchObject({ ok: false, alert: TLS_ALERT.certificate_revoked });
    expect(!r.ok && r.message).toContain(`serial ${c.serial}`);
  });

  it('refuses a CRL not signed by the fleet CA instead of clearing revocations', async () => {
    const other = join(root, 'crl-forger');
    await initCa(other);
    expect(() => new CrlFile(join(other, 'crl.pem'), caPem)).toThrow(/does not verify against the fleet CA/);
    // A CRL swapped for a forged one after startup: handshakes are refused, not waved through.
    const path = join(root, 'swapped-crl.pem');
    writeFileSync(path, readFileSync(join(dir, 'crl.pem')));
    const crl = new CrlFile(path, caPem);
    writeFileSync(path, readFileSync(join(other, 'crl.pem')));
    const v = createPeerVerifier({ caPem, peer: 'client', revoked: crl });
    const c = await issueCert(dir, { kind: 'device', vehicleId: 'VH-C' });
    expect(v.verify([der(c.certPem)])).toMatchObject({ ok: false, alert: TLS_ALERT.internal_error, message: expect.stringMatching(/revocation list unusable/) });
  });

  it('refuses a certificate used for the wrong role, and a server that does not carry the dialled name', async () => {
    const dev = await issueCert(dir, { kind: 'device', vehicleId: 'VH-ROLE' });
    const srv = await issueCert(dir, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
    expect(createPeerVerifier({ caPem, peer: 'server', serverName: 'localhost' }).verify([der(dev.certPem)])).toMatchObject({ ok: false, alert: TLS_ALERT.unsupported_certificate });
    expect(createPeerVerifier({ caPem, peer: 'client' }).verify([der(srv.certPem)])).toMatchObject({ ok: false, alert: TLS_ALERT.unsupported_certificate });
    expect(createPeerVerifier({ caPem, peer: 'server', serverName: '127.0.0.1' }).verify([der(srv.certPem)])).toEqual({ ok: true });
    expect(createPeerVerifier({ caPem, peer: 'server', serverName: 'evil.example' }).verify([der(srv.certPem)])).toMatchObject({ ok: false, alert: TLS_ALERT.bad_certificate, message: expect.stringMatching(/does not name 'evil\.example'/) });
    expect(createPeerVerifier({ caPem, peer: 'client' }).verify([])).toMatchObject({ ok: false, alert: TLS_ALERT.certificate_required });
  });
});

describe('vehicleIdFromCert', () => {
  it('refuses certificates that do not name exactly one vehicle consistently', async () => {
    const ca = await loadCa(join(root, 'verify'));
    const make = async (cn: string, uris: string[]) => {
      const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
      const c = await x509.X509CertificateGenerator.create({
        subject: `CN=${cn}`,
        issuer: ca.cert.subject,
        publicKey: keys.publicKey,
        signingKey: ca.key,
        signingAlgorithm: EC_P256,
        extensions: [new x509.SubjectAlternativeNameExtension(uris.map((value) => ({ type: 'url' as const, value })))],
      });
      return new Uint8Array(c.rawData);
    };
    expect(() => vehicleIdFromCert(new Uint8Array([1, 2, 3]))).toThrow(CertificateError);
    expect(() => vehicleIdFromCert(new Uint8Array(ca.cert.rawData))).toThrow(/not a vehicle certificate/);
    const mismatch = await make('VH-1', ['urn:geostream:vehicle:VH-2']);
    const two = await make('VH-1', ['urn:geostream:vehicle:VH-1', 'urn:geostream:vehicle:VH-3']);
    expect(() => vehicleIdFromCert(mismatch)).toThrow(/CN=VH-1 does not match its vehicle SAN 'VH-2'/);
    expect(() => vehicleIdFromCert(two)).toThrow(/found 2/);
    expect(vehicleIdFromCert(await make('VH-9', ['urn:geostream:vehicle:VH-9']))).toBe('VH-9');
  });
});
