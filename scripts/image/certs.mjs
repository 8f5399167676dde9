// The fleet CA and a device's key and certificate (ECDSA P-256, CN = vehicle id), with
// openssl. A CA directory holds ca.key (0600) and ca.crt; a missing one is created.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run } from '../package/run.mjs';

const CA_DAYS = 3650;
export const DEVICE_DAYS = 730;

/** Creates the fleet CA in `dir` when it has none. Returns { key, crt, created }. */
export function ensureCa(dir) {
  const key = join(dir, 'ca.key');
  const crt = join(dir, 'ca.crt');
  if (existsSync(key) && existsSync(crt)) return { key, crt, created: false };
  if (existsSync(key) || existsSync(crt)) throw new Error(`${dir} holds only one of ca.key and ca.crt: restore the other or use another --ca-dir`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cnf = caConfig(dir);
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', String(CA_DAYS), '-subj', '/CN=geostream fleet CA', '-extensions', 'v3', '-config', cnf]);
  rmSync(cnf);
  chmodSync(key, 0o600);
  process.stderr.write(`      created a new fleet CA in ${dir} (keep ca.key safe and offline; the server needs ca.crt)\n`);
  return { key, crt, created: true };
}

function caConfig(dir) {
  const f = join(dir, '.openssl-ca.cnf');
  writeFileSync(f, '[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  return f;
}

/**
 * Issues a device key and certificate for `id` into `outDir` (device.key 0600,
 * device.crt, ca.crt); keeps a copy of the certificate in <caDir>/issued/.
 */
export function issueDevice(caDir, id, outDir) {
  const ca = ensureCa(caDir);
  const key = join(outDir, 'device.key');
  const csr = join(outDir, 'device.csr');
  const crt = join(outDir, 'device.crt');
  const ext = join(outDir, 'device.ext');
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${id}`]);
  chmodSync(key, 0o600);
  writeFileSync(ext, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n');
  const serial = `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '7')}`;
  run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.crt, '-CAkey', ca.key, '-set_serial', serial, '-days', String(DEVICE_DAYS), '-extfile', ext, '-out', crt]);
  rmSync(csr);
  rmSync(ext);
  writeFileSync(join(outDir, 'ca.crt'), readFileSync(ca.crt));
  mkdirSync(join(caDir, 'issued'), { recursive: true });
  writeFileSync(join(caDir, 'issued', `${id}.crt`), readFileSync(crt));
  return { key, crt, ca: join(outDir, 'ca.crt'), caCreated: ca.created };
}
