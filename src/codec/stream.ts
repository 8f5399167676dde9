import { scanCborItem, MAX_MESSAGE_BYTES } from './cbor-reader.js';
import { CodecError } from './errors.js';

/**
 * Splits a byte stream into whole messages. The file/stream framing of
 * `geostream codec encode` is a CBOR sequence (RFC 8742): messages back to back,
 * each one complete CBOR item, no extra length prefix (a CBOR head already says
 * how long its item is). The first message is a stream header.
 *
 * push() takes bytes as they arrive and returns the complete messages so far,
 * and the error that stopped it if a malformed message follows them (the stream
 * cannot be resynchronised after that: CBOR has no sync marks); end() throws if a
 * partial message is left. The pending buffer never holds more
 * than one message (at most MAX_MESSAGE_BYTES) plus one chunk.
 */
export class MessageSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  /** Stream offset of pending[0], for error messages. */
  private base = 0;

  push(chunk: Uint8Array): { messages: Uint8Array[]; error?: CodecError } {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending);
    buf.set(chunk, this.pending.length);
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < buf.length) {
      let end: number;
      try {
        end = scanCborItem(buf, off, Math.min(buf.length, off + MAX_MESSAGE_BYTES));
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        if (err.incomplete && buf.length - off < MAX_MESSAGE_BYTES) break;
        const error = err.incomplete
          ? new CodecError(`message at stream offset ${this.base + off} is larger than ${MAX_MESSAGE_BYTES} bytes`)
          : new CodecError(`bad message at stream offset ${this.base + off}: ${err.message}`);
        return { messages: out, error };
      }
      out.push(buf.subarray(off, end));
      off = end;
    }
    this.pending = buf.subarray(off);
    this.base += off;
    return { messages: out };
  }

  end(): void {
    if (this.pending.length > 0) throw new CodecError(`stream ends inside a message at offset ${this.base} (${this.pending.length} bytes)`, undefined, true);
  }
}
