import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { x509 } from './x509.js';
import { CertificateError, normalizeSerial } from './identity.js';
import { fileStamp } from './file-stamp.js';

/**
 * Revocation: the fleet CA publishes a CRL (`crl.pem` in the CA directory, signed by
 * the CA, rewritten by `geostream ca revoke`). The server reads it through
 * CrlFile, which re-reads the file whenever its mtime or size changes, so a
 * revocation takes effect at the next handshake without a restart. A CRL that does
 * not verify against the CA is refused with an error; it never silently clears
 * revocations.
 */

/** DER TLV at `off`: [start of contents, end of contents]. */
function derElement(buf: Uint8Array, off: number): [number, number] {
  const lenByte = buf[off + 1];
  if (lenByte === undefined) throw new CertificateError('CRL: truncated DER');
  let len = lenByte;
  let start = off + 2;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    if (n === 0 || n > 4) throw new CertificateError('CRL: unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] ?? 0);
    start += n;
  }
  if (start + len > buf.length) throw new CertificateError('CRL: truncated DER');
  return [start, start + len];
}

/**
 * Parses and verifies a PEM CRL against the CA certificate; returns the revoked
 * serials (normalized hex). Synchronous (node:crypto) so the check can run inside
 * a handshake.
 */
export function parseCrl(pem: string, caPem: string, where = 'CRL'): Set<string> {
  let crl: InstanceType<typeof x509.X509Crl>;
  try {
    crl = new x509.X509Crl(pem);
  } catch (err) {
    throw new CertificateError(`${where}: not a PEM CRL (${(err as Error).message})`);
  }
  const ca = new X509Certificate(caPem);
  const der = new Uint8Array(crl.rawData);
  const [outerStart] = derElement(der, 0);
  const [, tbsEnd] = derElement(der, outerStart);
  const tbs = der.subarray(outerStart, tbsEnd);
  const ok = cryptoVerify('sha256', tbs, ca.publicKey, new Uint8Array(crl.signature));
  if (!ok) throw new CertificateError(`${where}: signature does not verify against the fleet CA`);
  return new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber)));
}

/** What the TLS layer consults: is this serial (normalized hex) revoked? */
export interface RevocationCheck {
  has(serialHex: string): boolean;
}

/** A CRL file re-read when it changes. Throws at open if missing or invalid. */
export class CrlFile implements RevocationCheck {
  private serials: Set<string>;
  private stamp: string;
  constructor(
    readonly path: string,
    private readonly caPem: string,
  ) {
    this.stamp = this.statStamp();
    this.serials = parseCrl(readFileSync(path, 'utf8'), caPem, path);
  }
  private statStamp(): string {
    statSync(this.path); // a CRL that is gone is an error, not a change
    return fileStamp([this.path]);
  }
  /** Reloads if the file changed; a bad new CRL throws (the caller refuses the handshake). */
  refresh(): void {
    const stamp = this.statStamp();
    if (stamp === this.stamp) return;
    this.serials = parseCrl(readFileSync(this.path, 'utf8'), this.caPem, this.path);
    this.stamp = stamp;
  }
  has(serialHex: string): boolean {
    this.refresh();
    return this.serials.has(normalizeSerial(serialHex));
  }
  get size(): number {
    return this.serials.size;
  }
}
