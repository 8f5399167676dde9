/**
 * Every failure to encode or decode telemetry is a CodecError. `field` names the
 * schema field (or wire element, e.g. `batch.count`) that was wrong when there is
 * one; `incomplete` is true when the bytes ended before a whole CBOR item (a
 * stream reader may wait for more bytes; a framed message is simply truncated).
 */
export class CodecError extends Error {
  override name = 'CodecError';
  constructor(
    message: string,
    readonly field?: string,
    readonly incomplete = false,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}
