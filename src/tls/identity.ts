import { X509Certificate } from 'node:crypto';

/**
 * How a certificate names a vehicle: the subject CN is the vehicle id and a SAN of
 * type URI carries `urn:geostream:vehicle:<id>`. Both must agree.
 */
export const VEHICLE_URI_PREFIX = 'urn:geostream:vehicle:';

/** Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64. */
export const VEHICLE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class CertificateError extends Error {
  override name = 'CertificateError';
}

export function checkVehicleId(id: string): string {
  if (!VEHICLE_ID_RE.test(id)) {
    throw new CertificateError(
      `invalid vehicle id '${id}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return id;
}

/** The CN of a subject or issuer string as node:crypto prints it ("CN=x\nO=y"). */
export function commonName(dn: string): string | undefined {
  for (const line of dn.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

/** Lowercase hex without leading zeros: the one spelling of a serial number we compare. */
export function normalizeSerial(hex: string): string {
  const s = hex.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
  return s === '' ? '0' : s;
}

/**
 * The vehicle id a device certificate names. Throws CertificateError if the
 * certificate names none, or its CN and URI SAN disagree. Does not verify the
 * certificate: call it on a chain the TLS layer has already verified.
 */
export function vehicleIdFromCert(der: Uint8Array): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    throw new CertificateError(`not a DER X.509 certificate: ${(err as Error).message}`);
  }
  const cn = commonName(cert.subject);
  const uris = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith(`URI:${VEHICLE_URI_PREFIX}`))
    .map((n) => n.slice(4 + VEHICLE_URI_PREFIX.length));
  if (uris.length !== 1) {
    throw new CertificateError(
      `certificate CN=${cn ?? '?'} is not a vehicle certificate (expected one SAN URI ${VEHICLE_URI_PREFIX}<id>, found ${uris.length})`,
    );
  }
  const id = uris[0]!;
  if (cn !== id) throw new CertificateError(`certificate CN=${cn ?? '?'} does not match its vehicle SAN '${id}'`);
  return checkVehicleId(id);
}
