import { CRYPTO_ERROR_BASE, TransportError, transportErrorName } from '../protocol/close-codes.js';
import { alertText } from '../tls/alerts.js';

/**
 * The transport error ngtcp2 sends for one of its library errors (the name
 * ngtcp2_strerror gives), as ngtcp2_err_infer_quic_transport_error_code maps them.
 */
const LIBERR_TRANSPORT: Record<string, number> = {
  '': TransportError.INTERNAL_ERROR,
  ERR_ACK_FRAME: TransportError.FRAME_ENCODING_ERROR,
  ERR_FRAME_ENCODING: TransportError.FRAME_ENCODING_ERROR,
  ERR_FLOW_CONTROL: TransportError.FLOW_CONTROL_ERROR,
  ERR_CONNECTION_ID_LIMIT: TransportError.CONNECTION_ID_LIMIT_ERROR,
  ERR_STREAM_LIMIT: TransportError.STREAM_LIMIT_ERROR,
  ERR_FINAL_SIZE: TransportError.FINAL_SIZE_ERROR,
  ERR_REQUIRED_TRANSPORT_PARAM: TransportError.TRANSPORT_PARAMETER_ERROR,
  ERR_MALFORMED_TRANSPORT_PARAM: TransportError.TRANSPORT_PARAMETER_ERROR,
  ERR_TRANSPORT_PARAM: TransportError.TRANSPORT_PARAMETER_ERROR,
  ERR_INVALID_ARGUMENT: TransportError.INTERNAL_ERROR,
  ERR_NOMEM: TransportError.INTERNAL_ERROR,
  ERR_CALLBACK_FAILURE: TransportError.INTERNAL_ERROR,
  ERR_STREAM_STATE: TransportError.STREAM_STATE_ERROR,
  ERR_CRYPTO_BUFFER_EXCEEDED: TransportError.CRYPTO_BUFFER_EXCEEDED,
  ERR_AEAD_LIMIT_REACHED: TransportError.AEAD_LIMIT_REACHED,
  ERR_NO_VIABLE_PATH: TransportError.NO_VIABLE_PATH,
  ERR_VERSION_NEGOTIATION_FAILURE: TransportError.VERSION_NEGOTIATION_ERROR,
};

/** The transport error code for an ngtcp2 library error name (PROTOCOL_VIOLATION for the rest, as ngtcp2 does). */
export function transportCodeOfLiberr(name: string): number {
  return LIBERR_TRANSPORT[name] ?? TransportError.PROTOCOL_VIOLATION;
}

export { CRYPTO_ERROR_BASE };

/** The TLS alert inside a QUIC transport error code, or undefined. */
export function alertOf(code: number): number | undefined {
  return code >= CRYPTO_ERROR_BASE && code <= 0x1ff ? code - CRYPTO_ERROR_BASE : undefined;
}

/** Words for a transport-level close code (for application codes the reason text is used). */
export function describeCloseCode(code: number): string {
  const alert = alertOf(code);
  if (alert !== undefined) return `TLS alert ${alert}: ${alertText(alert)}`;
  const name = transportErrorName(code);
  return name ? name.toLowerCase().replaceAll('_', ' ').replace('aead', 'AEAD') : `transport error 0x${code.toString(16)}`;
}
