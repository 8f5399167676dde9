/**
 * Application close codes of geostream/1.0 (QUIC CONNECTION_CLOSE of type 0x1d and
 * the CLOSE frame). One row per reason; the text is what logs and the peer show.
 */
export const CloseCode = {
  /** Orderly end (device stopping, ignition off). */
  normal: 0x00,
  /** A frame that does not parse or breaks the protocol's order. */
  protocol: 0x01,
  /** A frame or batch above the negotiated size limits. */
  tooLarge: 0x02,
  /** HELLO names another device than the client certificate. */
  identity: 0x03,
  /** HELLO asks for a protocol or schema version this peer does not speak. */
  version: 0x04,
  /** The server is shutting down (after committing and acking what it had). */
  shutdown: 0x05,
  /** The device saw no ack progress while data was pending, or no WELCOME in time. */
  liveness: 0x06,
  /** A newer connection of the same device replaced this one. */
  superseded: 0x07,
  /** The server could not store (disk full, database error); the device retries later. */
  storage: 0x08,
  /** No client certificate, or one the server cannot read a vehicle id from. */
  unauthenticated: 0x09,
  /** Something unexpected inside the peer; retry later. */
  internal: 0x0f,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** The names of docs/PROTOCOL.md "Close codes": the keys above in kebab case (tooLarge is too-large). */
const names = new Map<number, string>(Object.entries(CloseCode).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]));

/** 'identity (0x03)', 'too-large (0x02)' for logs; unknown codes are shown in hex. */
export function closeCodeName(code: number): string {
  const n = names.get(code);
  return `${n ?? 'unknown'} (0x${code.toString(16).padStart(2, '0')})`;
}

/**
 * QUIC transport error codes (RFC 9000 section 20.1): what a connection closes with
 * when QUIC itself failed (CONNECTION_CLOSE of type 0x1c). 0x100-0x1ff carry a TLS
 * alert (RFC 9001 section 4.8). The same numbers mean other things as application
 * codes, so a close code is only meaningful together with its kind.
 */
export const TransportError = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  VERSION_NEGOTIATION_ERROR: 0x11,
} as const;
export const CRYPTO_ERROR_BASE = 0x100;

const transportNames = new Map<number, string>(Object.entries(TransportError).map(([k, v]) => [v, k]));

/** 'CONNECTION_ID_LIMIT_ERROR' for a transport code; CRYPTO_ERROR for 0x100-0x1ff; undefined when unknown. */
export function transportErrorName(code: number): string | undefined {
  if (code >= CRYPTO_ERROR_BASE && code <= 0x1ff) return 'CRYPTO_ERROR';
  return transportNames.get(code);
}

/**
 * A connection's close code in words, with its kind: 'protocol (0x01)' for an
 * application code, 'QUIC transport CONNECTION_ID_LIMIT_ERROR (0x09)' for a
 * transport one.
 */
export function closeLabel(code: number, app: boolean): string {
  if (app) return closeCodeName(code);
  return `QUIC transport ${transportErrorName(code) ?? 'error'} (0x${code.toString(16).padStart(2, '0')})`;
}

/** Codes after which the device should not retry soon: its configuration is wrong, not the network. */
export function isPermanent(code: number): boolean {
  return code === CloseCode.identity || code === CloseCode.version || code === CloseCode.unauthenticated;
}

/** A violation found while parsing or running the protocol; the connection closes with `code`. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
