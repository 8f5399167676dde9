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

const names = new Map<number, CloseCodeName>(Object.entries(CloseCode).map(([k, v]) => [v, k as CloseCodeName]));

/** 'identity (0x03)' for logs; unknown codes are shown in hex. */
export function closeCodeName(code: number): string {
  const n = names.get(code);
  return `${n ?? 'unknown'} (0x${code.toString(16).padStart(2, '0')})`;
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
