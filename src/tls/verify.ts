import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { TLS_ALERT, type TlsAlert } from './alerts.js';
import { commonName, normalizeSerial } from './identity.js';
import type { RevocationCheck } from './revocation.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export type VerifyResult = { ok: true } | { ok: false; alert: TlsAlert; message: string };

export interface PeerVerifier {
  /** Verifies the peer's chain (DER, leaf first) at time `nowMs` (wall clock, ms). */
  verify(chain: readonly Uint8Array[], nowMs?: number): VerifyResult;
}

export interface VerifierOptions {
  /** Trusted CA certificate(s), PEM. */
  caPem: string;
  /** What the peer must be: a device ('client', clientAuth) or the server ('server', serverAuth). */
  peer: 'client' | 'server';
  /** For peer 'server': the DNS name or IP address its certificate must carry. */
  serverName?: string;
  revoked?: RevocationCheck;
}

function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

const fail = (alert: TlsAlert, message: string): VerifyResult => ({ ok: false, alert, message });

function name(c: X509Certificate): string {
  return `CN=${commonName(c.subject) ?? '?'}`;
}

/**
 * Peer certificate verification shared by every engine: the fleet CA signs device
 * and server certificates directly (no intermediates). Checks, in order: a
 * certificate was sent; it parses; it is not a CA; a trusted CA issued and signed it;
 * it and that CA are within their validity; it is not revoked; it is meant for the
 * peer's role (extended key usage); for a server, it names the host we dialled.
 * Each failure names the certificate and maps to the TLS alert the peer will see.
 */
export function createPeerVerifier(opts: VerifierOptions): PeerVerifier {
  const cas = splitPem(opts.caPem).map((p) => new X509Certificate(p));
  if (cas.length === 0) throw new Error('TLS: no CA certificate in the given CA PEM');
  const wantUsage = opts.peer === 'client' ? CLIENT_AUTH : SERVER_AUTH;
  const role = opts.peer === 'client' ? 'client' : 'server';
  return {
    verify(chain, nowMs = Date.now()) {
      const leafDer = chain[0];
      if (!leafDer) return fail(TLS_ALERT.certificate_required, `${role} sent no certificate`);
      let leaf: X509Certificate;
      try {
        leaf = new X509Certificate(leafDer);
      } catch (err) {
        return fail(TLS_ALERT.bad_certificate, `${role} certificate does not parse: ${(err as Error).message}`);
      }
      const who = `${role} certificate ${name(leaf)}`;
      if (leaf.ca) return fail(TLS_ALERT.bad_certificate, `${who} is a CA certificate, not an end-entity one`);
      const ca = cas.find((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey));
      if (!ca) {
        return fail(
          TLS_ALERT.unknown_ca,
          `${who} was issued by CN=${commonName(leaf.issuer) ?? '?'}, not by the trusted CA ${cas.map(name).join(', ')} (unknown CA)`,
        );
      }
      for (const c of [leaf, ca]) {
        const from = Date.parse(c.validFrom);
        const to = Date.parse(c.validTo);
        const what = c === leaf ? who : `CA certificate ${name(ca)}`;
        if (nowMs > to) return fail(TLS_ALERT.certificate_expired, `${what} expired at ${new Date(to).toISOString()}`);
        if (nowMs < from) return fail(TLS_ALERT.certificate_expired, `${what} is not valid before ${new Date(from).toISOString()}`);
      }
      if (opts.revoked) {
        let revoked: boolean;
        try {
          revoked = opts.revoked.has(normalizeSerial(leaf.serialNumber));
        } catch (err) {
          return fail(TLS_ALERT.internal_error, `revocation list unusable: ${(err as Error).message}`);
        }
        if (revoked) return fail(TLS_ALERT.certificate_revoked, `${who} (serial ${normalizeSerial(leaf.serialNumber)}) is revoked`);
      }
      if (!(leaf.keyUsage ?? []).includes(wantUsage)) {
        return fail(TLS_ALERT.unsupported_certificate, `${who} is not issued for ${role} use (extended key usage ${role}Auth missing)`);
      }
      const sn = opts.serverName;
      if (opts.peer === 'server' && sn !== undefined) {
        const match = isIP(sn) ? leaf.checkIP(sn) : leaf.checkHost(sn);
        if (match === undefined) return fail(TLS_ALERT.bad_certificate, `${who} does not name '${sn}' (subject alt names: ${leaf.subjectAltName ?? 'none'})`);
      }
      return { ok: true };
    },
  };
}
