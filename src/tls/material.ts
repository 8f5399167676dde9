import { readFileSync } from 'node:fs';
import { caFiles } from './ca.js';
import { CrlFile } from './revocation.js';
import { join } from 'node:path';
import { fileStamp } from './file-stamp.js';

/** What a QUIC engine needs for TLS: PEM text, and the peer checks to apply. */
export interface TlsMaterial {
  /** Our certificate chain (leaf first), PEM. */
  cert: string;
  /** Our private key, PEM. Never logged. */
  key: string;
  /** CA certificate(s) the peer's chain must lead to, PEM. */
  ca: string;
  /** Verify the peer's certificate. Default true; turning it off is for tests only. */
  verifyPeer?: boolean;
  /**
   * Revoked certificate serials (lowercase hex, no leading zeros), consulted at every
   * handshake; src/tls/revocation.ts's CrlFile re-reads the CA's CRL when it changes.
   */
  revoked?: { has(serialHex: string): boolean };
  /**
   * Where the material came from, for a long-running server to pick up renewed files:
   * `stamp()` changes when they change, `load()` reads them again (throws if they do not
   * make valid material). Absent: the material is fixed.
   */
  source?: { stamp(): string; load(): TlsMaterial };
}

/**
 * TlsMaterial for a device or the server from a CA directory laid out by
 * `geostream ca` (the demo and tests use it; a device in the field has only its
 * own cert/key and ca.pem, named in its config). The server's material carries
 * the CA's CRL, re-read when `geostream ca revoke` rewrites it.
 */
export function deviceTls(dir: string, vehicleId: string): TlsMaterial {
  return {
    cert: readFileSync(join(dir, 'devices', `${vehicleId}.pem`), 'utf8'),
    key: readFileSync(join(dir, 'devices', `${vehicleId}.key`), 'utf8'),
    ca: readFileSync(caFiles(dir).cert, 'utf8'),
  };
}

export function serverTls(dir: string, name: string): TlsMaterial {
  const files = caFiles(dir);
  const paths = { cert: join(dir, 'servers', `${name}.pem`), key: join(dir, 'servers', `${name}.key`) };
  const ca = readFileSync(files.cert, 'utf8');
  return {
    cert: readFileSync(paths.cert, 'utf8'),
    key: readFileSync(paths.key, 'utf8'),
    ca,
    revoked: new CrlFile(files.crl, ca),
    // the CRL is in the stamp too: it must be signed by the CA it is loaded with
    source: { stamp: () => fileStamp([paths.cert, paths.key, files.cert, files.crl]), load: () => serverTls(dir, name) },
  };
}
