import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { vehicleIdFromCert } from '../../tls/identity.js';
import type { SelftestContext } from '../check.js';
import { errorCode, errorMessage } from '../../base/errors.js';
import { fail, needsConfig, pass, skip, warn, type Check } from '../check.js';

const DAY = 86_400_000;
/** Renew when fewer days than this are left (WARN); FAIL below CERT_FAIL_DAYS. */
export const CERT_WARN_DAYS = 30;
export const CERT_FAIL_DAYS = 7;

/** The device's files in the TLS directory, as make image writes them (tls/ beside the config). */
export const TLS_FILES = { cert: 'device.pem', key: 'device.key', ca: 'ca.pem' } as const;

const REISSUE = 'issue a new certificate: geostream ca issue --dir CA-DIR --force VEHICLE-ID, copy CA-DIR/devices/VEHICLE-ID.pem and .key to the device (or re-flash with make image)';

/** The config's server.cert/key/ca when it names them (relative to the config file), else the TLS directory. */
export function tlsPaths(ctx: SelftestContext): { cert: string; key: string; ca: string } {
  const server = ctx.config?.server as { cert?: string; key?: string; ca?: string } | undefined;
  const base = ctx.config ? dirname(ctx.config.file) : ctx.tlsDir;
  const pick = (k: keyof typeof TLS_FILES): string => (server?.[k] ? resolve(base, server[k]) : join(ctx.tlsDir, TLS_FILES[k]));
  return { cert: pick('cert'), key: pick('key'), ca: pick('ca') };
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
    const p = tlsPaths(ctx);
    const [certPem, keyPem, caPem] = await Promise.all([read(p.cert), read(p.key), read(p.ca)]);
    if (typeof certPem === 'string' && certPem === 'missing' && !ctx.config.server?.address) {
      return skip(`no server configured and no ${p.cert}: nothing to authenticate to`);
    }
    for (const [file, v] of [[p.cert, certPem], [p.key, keyPem], [p.ca, caPem]] as const) {
      if (typeof v === 'string') return fail(`${file}: ${v}`, `the device cannot authenticate to the server without it`, REISSUE);
    }
    let cert: X509Certificate;
    let ca: X509Certificate;
    try {
      cert = new X509Certificate(certPem as Buffer);
      ca = new X509Certificate(caPem as Buffer);
    } catch (err) {
      return fail(`cannot parse ${p.cert} or ${p.ca}`, errorMessage(err), REISSUE);
    }
    const keyMode = (await stat(p.key)).mode & 0o777;
    if (keyMode & 0o077) {
      return fail(`${p.key} has mode ${keyMode.toString(8)}`, 'the private key is readable by other users', `chmod 600 ${p.key}`);
    }
    try {
      if (!cert.checkPrivateKey(createPrivateKey(keyPem as Buffer))) {
        return fail(`the key does not belong to the certificate`, `${p.key} and ${p.cert} are from different issues`, REISSUE);
      }
    } catch (err) {
      return fail(`cannot read ${p.key}`, errorMessage(err), REISSUE);
    }
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      return fail(`the certificate is not signed by the fleet CA`, `issuer "${cert.issuer.replace(/\n/g, ', ')}", CA ${p.ca}`, `install this fleet's CA certificate, or ${REISSUE}`);
    }
    const id = ctx.config.vehicle.id;
    let named: string;
    try {
      named = vehicleIdFromCert(cert.raw);
    } catch (err) {
      return fail('not a vehicle certificate', errorMessage(err), REISSUE);
    }
    if (named !== id) {
      return fail(`certificate is for "${named}", config says vehicle ${id}`, 'the server identifies vehicles by certificate', REISSUE);
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
