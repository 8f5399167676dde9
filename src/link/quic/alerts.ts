/**
 * TLS alerts as QUIC carries them: a CONNECTION_CLOSE with transport error code
 * 0x100 + alert (RFC 9001 section 4.8). TLS alerts carry no reason text, so both
 * engines turn the code into words with describeCloseCode().
 */
export const TLS_ALERT = {
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  unknown_ca: 48,
  access_denied: 49,
  internal_error: 80,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

export type TlsAlert = (typeof TLS_ALERT)[keyof typeof TLS_ALERT];

export const CRYPTO_ERROR_BASE = 0x100;

const ALERT_TEXT: Record<number, string> = {
  40: 'TLS handshake failure',
  42: 'bad certificate',
  43: 'certificate not valid for this use',
  44: 'certificate revoked',
  45: 'certificate expired or not yet valid',
  46: 'certificate unknown',
  48: 'certificate not issued by a trusted CA (unknown CA)',
  49: 'access denied',
  80: 'TLS internal error',
  116: 'client certificate required but none was sent',
  120: 'no common application protocol (ALPN)',
};

/** The TLS alert inside a QUIC transport error code, or undefined. */
export function alertOf(code: number): number | undefined {
  return code >= CRYPTO_ERROR_BASE && code <= 0x1ff ? code - CRYPTO_ERROR_BASE : undefined;
}

const TRANSPORT_TEXT: Record<number, string> = {
  0: 'no error',
  1: 'internal error',
  2: 'connection refused',
  3: 'flow control error',
  4: 'stream limit error',
  5: 'stream state error',
  6: 'final size error',
  7: 'frame encoding error',
  8: 'transport parameter error',
  9: 'connection id limit error',
  10: 'protocol violation',
  11: 'invalid token',
  12: 'application error',
  13: 'crypto buffer exceeded',
  14: 'key update error',
  15: 'AEAD limit reached',
  16: 'no viable path',
};

/** Words for a transport-level close code (for application codes the reason text is used). */
export function describeCloseCode(code: number): string {
  const alert = alertOf(code);
  if (alert !== undefined) return `TLS alert ${alert}: ${ALERT_TEXT[alert] ?? 'unknown alert'}`;
  return TRANSPORT_TEXT[code] ?? `transport error 0x${code.toString(16)}`;
}
