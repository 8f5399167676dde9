/**
 * The TLS alerts (RFC 8446 section 6) a geostream peer sends or meets. QUIC carries one
 * as the transport error 0x100 + alert (RFC 9001 section 4.8), without reason text;
 * quic/alerts.ts turns the code into words.
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

/** Words for a TLS alert number. */
export function alertText(alert: number): string {
  return ALERT_TEXT[alert] ?? 'unknown alert';
}
