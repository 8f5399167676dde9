import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../../errors.js';
import { fail, needsConfig, pass, skip, warn, type Check } from '../check.js';

const DAY = 86_400_000;
/** Renew when fewer days than this are left (WARN); FAIL below CERT_FAIL_DAYS. */
export const CERT_WARN_DAYS = 30;
export const CERT_FAIL_DAYS = 7;

/** The device's files in the TLS directory (make image and `geostream ca issue` write them). */
export const TLS_FILES = { cert: 'device.crt', key: 'device.key', ca: 'ca.crt' } as const;

const REISSUE = 'issue a new certificate: geostream ca issue --dir CA-DIR VEHICLE-ID, then copy device.crt/device.key into the TLS directory (or re-flash with make image)';

function commonName(subject: string): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1];
}

async function read(file: string): Promise<Buffer | string> {
  try {
    return await readFile(file);
  } catch (err) {
    return errorCode(err) === 'ENOENT' ? 'missing' : errorMessage(err);
  }
}

/** The device certificate: present, issued by the fleet CA, matches its key, not expired or near it. */
export const certCheck: Check = {
  id: 'cert',
  title: 'device certificate',
  timeoutMs: 3000,
  async run(ctx) {
    if (!ctx.config) return needsConfig();
    const path = (f: string): string => join(ctx.tlsDir, f);
    const [certPem, keyPem, caPem] = await Promise.all([read(path(TLS_FILES.cert)), read(path(TLS_FILES.key)), read(path(TLS_FILES.ca))]);
    if (typeof certPem === 'string' && certPem === 'missing' && !ctx.config.server?.address) {
      return skip(`no server configured and no ${TLS_FILES.cert} in ${ctx.tlsDir}: nothing to authenticate to`);
    }
    for (const [name, v] of [[TLS_FILES.cert, certPem], [TLS_FILES.key, keyPem], [TLS_FILES.ca, caPem]] as const) {
      if (typeof v === 'string') return fail(`${path(name)}: ${v}`, `the device cannot authenticate to the server without ${name}`, REISSUE);
    }
    let cert: X509Certificate;
    let ca: X509Certificate;
    try {
      cert = new X509Certificate(certPem as Buffer);
      ca = new X509Certificate(caPem as Buffer);
    } catch (err) {
      return fail(`cannot parse the certificate files in ${ctx.tlsDir}`, errorMessage(err), REISSUE);
    }
    const keyMode = (await stat(path(TLS_FILES.key))).mode & 0o777;
    if (keyMode & 0o077) {
      return fail(`${path(TLS_FILES.key)} has mode ${keyMode.toString(8)}`, 'the private key is readable by other users', `chmod 600 ${path(TLS_FILES.key)}`);
    }
    try {
      if (!cert.checkPrivateKey(createPrivateKey(keyPem as Buffer))) {
        return fail(`${TLS_FILES.key} does not belong to ${TLS_FILES.cert}`, 'the key and certificate are from different issues', REISSUE);
      }
    } catch (err) {
      return fail(`cannot read ${path(TLS_FILES.key)}`, errorMessage(err), REISSUE);
    }
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      return fail(`${TLS_FILES.cert} is not signed by ${TLS_FILES.ca}`, `issuer "${cert.issuer.replace(/\n/g, ', ')}"`, `install this fleet's CA certificate, or ${REISSUE}`);
    }
    const cn = commonName(cert.subject);
    const id = ctx.config.vehicle.id;
    if (cn !== id) {
      return fail(`certificate is for "${cn ?? '?'}", config says vehicle ${id}`, 'the server identifies vehicles by certificate', REISSUE);
    }
    const now = ctx.clock.wallNow();
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (now < from) {
      return fail(`not valid before ${new Date(from).toISOString()}`, 'the certificate is not yet valid by the system clock (is the clock right? see the clock row)', 'set the clock (NTP/GNSS); if it is right, ' + REISSUE);
    }
    const daysLeft = Math.floor((to - now) / DAY);
    const summary = `${id}, expires ${new Date(to).toISOString().slice(0, 10)} (${daysLeft} days)`;
    if (now >= to) return fail(`expired ${new Date(to).toISOString()}`, 'the server refuses an expired certificate', REISSUE);
    if (daysLeft < CERT_FAIL_DAYS) return fail(summary, `fewer than ${CERT_FAIL_DAYS} days left`, REISSUE);
    if (daysLeft < CERT_WARN_DAYS) return warn(summary, `fewer than ${CERT_WARN_DAYS} days left`, REISSUE);
    return pass(summary);
  },
};
