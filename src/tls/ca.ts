import { X509Certificate, randomBytes, type webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { EC_P256, subtle, x509 } from './x509.js';
import { CertificateError, checkVehicleId, normalizeSerial, VEHICLE_URI_PREFIX } from './identity.js';
import { parseCrl } from './revocation.js';

/**
 * The fleet CA on disk (directory mode 0700, keys 0600):
 *   D/ca.pem  D/ca.key  D/crl.pem
 *   D/devices/<vehicle-id>.pem  D/devices/<vehicle-id>.key
 *   D/servers/<name>.pem        D/servers/<name>.key
 * ECDSA P-256 everywhere. The CA signs device (clientAuth) and server (serverAuth)
 * certificates directly; revocation is the CA-signed CRL crl.pem, which the server
 * re-reads when it changes (see revocation.ts).
 */
export interface CaFiles {
  dir: string;
  cert: string;
  key: string;
  crl: string;
}

export function caFiles(dir: string): CaFiles {
  return { dir, cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key'), crl: join(dir, 'crl.pem') };
}

export type Subject = { kind: 'device'; vehicleId: string } | { kind: 'server'; name: string; altNames?: string[] };

export interface IssueOptions {
  /** Validity in days from notBefore (default: device 1825, server 825). */
  days?: number;
  notBefore?: Date;
  /** Overrides days. */
  notAfter?: Date;
  /** Replace an existing certificate and key of the same name. */
  force?: boolean;
}

export interface Issued {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
}

const DAY = 86_400_000;
const SERVER_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/;

function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x10; // positive, 16 significant bytes
  return b.toString('hex');
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await subtle.exportKey('pkcs8', key)));
}

async function importKeyPem(pem: string, where: string): Promise<webcrypto.CryptoKey> {
  const m = pem.match(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/);
  if (!m) throw new CertificateError(`${where}: not a PKCS#8 PEM private key`);
  try {
    return await subtle.importKey('pkcs8', Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'), EC_P256, false, ['sign']);
  } catch (err) {
    throw new CertificateError(`${where}: not an ECDSA P-256 key (${(err as Error).message})`);
  }
}

/** Writes atomically (temp file then rename) with the given mode. */
async function writeSecure(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

async function checkKeyMode(path: string): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new CertificateError(`${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`);
  }
}

export interface LoadedCa {
  files: CaFiles;
  cert: InstanceType<typeof x509.X509Certificate>;
  certPem: string;
  key: webcrypto.CryptoKey;
}

/** Opens the CA in `dir` for signing; clear error if there is none or its key is exposed. */
export async function loadCa(dir: string): Promise<LoadedCa> {
  const files = caFiles(dir);
  if (!existsSync(files.cert) || !existsSync(files.key)) {
    throw new CertificateError(`no fleet CA in ${dir} (expected ca.pem and ca.key; create one with 'geostream ca init --dir ${dir}')`);
  }
  await checkKeyMode(files.key);
  const certPem = await readFile(files.cert, 'utf8');
  const key = await importKeyPem(await readFile(files.key, 'utf8'), files.key);
  return { files, cert: new x509.X509Certificate(certPem), certPem, key };
}

/** Creates a new fleet CA; refuses to overwrite one. */
export async function initCa(dir: string, opts: { name?: string; days?: number; now?: Date } = {}): Promise<LoadedCa> {
  const files = caFiles(dir);
  if (existsSync(files.key) || existsSync(files.cert)) {
    throw new CertificateError(`${dir} already holds a fleet CA (ca.pem/ca.key); refusing to overwrite it`);
  }
  await ensureDir(dir);
  const now = opts.now ?? new Date();
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${opts.name ?? 'geostream fleet CA'}, O=geostream`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.days ?? 7305) * DAY),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeSecure(files.key, await exportKeyPem(keys.privateKey), 0o600);
  const certPem = cert.toString('pem') + '\n';
  await writeSecure(files.cert, certPem, 0o644);
  const ca: LoadedCa = { files, cert, certPem, key: keys.privateKey };
  await writeCrl(ca, []);
  return ca;
}

function subjectPaths(dir: string, s: Subject): { cert: string; key: string; dir: string } {
  const sub = s.kind === 'device' ? 'devices' : 'servers';
  const base = s.kind === 'device' ? s.vehicleId : s.name;
  return { dir: join(dir, sub), cert: join(dir, sub, `${base}.pem`), key: join(dir, sub, `${base}.key`) };
}

function checkSubject(s: Subject): void {
  if (s.kind === 'device') checkVehicleId(s.vehicleId);
  else if (!SERVER_NAME_RE.test(s.name) && isIP(s.name) === 0) {
    throw new CertificateError(`invalid server name '${s.name}': use a DNS name or an IP address`);
  }
}

/** Issues a device or server certificate and key signed by the CA in `dir`. */
export async function issueCert(dir: string, subject: Subject, opts: IssueOptions = {}): Promise<Issued> {
  checkSubject(subject);
  const ca = await loadCa(dir);
  const paths = subjectPaths(dir, subject);
  if (!opts.force && (existsSync(paths.cert) || existsSync(paths.key))) {
    throw new CertificateError(`${paths.cert} already exists; pass --force to replace it (revoke the old one first if it leaked)`);
  }
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const days = opts.days ?? (subject.kind === 'device' ? 1825 : 825);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + days * DAY);
  if (notAfter.getTime() > ca.cert.notAfter.getTime()) {
    throw new CertificateError(`requested validity ends ${notAfter.toISOString()}, after the CA's own (${ca.cert.notAfter.toISOString()})`);
  }
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const names: { type: 'dns' | 'ip' | 'url'; value: string }[] = [];
  let cn: string;
  let usage: string;
  if (subject.kind === 'device') {
    cn = subject.vehicleId;
    names.push({ type: 'url', value: `${VEHICLE_URI_PREFIX}${subject.vehicleId}` });
    usage = x509.ExtendedKeyUsage.clientAuth;
  } else {
    cn = subject.name;
    for (const n of [subject.name, ...(subject.altNames ?? [])]) {
      if (!names.some((x) => x.value === n)) names.push({ type: isIP(n) ? 'ip' : 'dns', value: n });
    }
    usage = x509.ExtendedKeyUsage.serverAuth;
  }
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${cn}, O=geostream`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage], false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  await ensureDir(paths.dir);
  const keyPem = await exportKeyPem(keys.privateKey);
  const certPem = cert.toString('pem') + '\n';
  await writeSecure(paths.key, keyPem, 0o600);
  await writeSecure(paths.cert, certPem, 0o644);
  return { certPath: paths.cert, keyPath: paths.key, certPem, keyPem, serial: normalizeSerial(serial), notAfter };
}

async function writeCrl(ca: LoadedCa, serials: string[]): Promise<void> {
  const now = new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 365 * DAY),
    entries: serials.map((s) => ({ serialNumber: s, revocationDate: now })),
    signingKey: ca.key,
    signingAlgorithm: EC_P256,
  });
  // RFC 7468 label, so openssl and GnuTLS read it too.
  await writeSecure(ca.files.crl, pem('X509 CRL', new Uint8Array(crl.rawData)), 0o644);
}

/** Serials revoked so far (verified against the CA). */
export function readRevoked(dir: string): Set<string> {
  const files = caFiles(dir);
  return parseCrl(readFileSync(files.crl, 'utf8'), readFileSync(files.cert, 'utf8'), files.crl);
}

/**
 * Revokes a certificate: by serial (hex), or by the subject's current certificate
 * file. Rewrites crl.pem. Returns the revoked serial.
 */
export async function revokeCert(dir: string, target: { serial: string } | Subject): Promise<string> {
  const ca = await loadCa(dir);
  let serial: string;
  if ('serial' in target) {
    if (!/^(0x)?[0-9a-fA-F:]+$/.test(target.serial)) throw new CertificateError(`invalid serial '${target.serial}': expected hex`);
    serial = normalizeSerial(target.serial.replace(/^0x/, ''));
  } else {
    checkSubject(target);
    const p = subjectPaths(dir, target).cert;
    if (!existsSync(p)) throw new CertificateError(`no certificate ${p} to revoke`);
    serial = normalizeSerial(new X509Certificate(readFileSync(p)).serialNumber);
  }
  const revoked = readRevoked(dir);
  revoked.add(serial);
  await writeCrl(ca, [...revoked].map((s) => (s.length % 2 ? `0${s}` : s)));
  return serial;
}
