import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseByteRange } from './byte-range.js';
import { drained, isHead } from './respond.js';

/** A file the API serves in byte ranges: its size, a strong ETag and positioned reads. */
export interface RangeSource {
  readonly size: number;
  /** Strong ETag (quoted), the same for as long as the bytes are. */
  readonly etag: string;
  readonly contentType: string;
  /** Reads up to buf.length bytes at `position` into buf; resolves to how many it read. */
  read(buf: Buffer, position: number): Promise<number>;
}

/** Bytes read and written at a time: one response holds at most this much. */
export const RANGE_CHUNK_BYTES = 64 * 1024;

/**
 * Sends `src` whole (200) or the one range the request asks (206 with Content-Range),
 * read in chunks of RANGE_CHUNK_BYTES with backpressure, so no response holds more
 * than one chunk however large the file or the range. An If-Range that names another
 * ETag gets the whole file, as RFC 9110 says. A read that fails after the headers went
 * out destroys the response (the client sees a cut transfer, never short bytes).
 * A HEAD request gets the same status and headers and no byte is read.
 */
export async function sendRange(req: IncomingMessage, res: ServerResponse, src: RangeSource, headers: Record<string, string>): Promise<void> {
  const ifRange = req.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== src.etag ? null : parseByteRange(req.headers.range, src.size);
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : src.size;
  const common = { ...headers, 'accept-ranges': 'bytes', etag: src.etag, 'content-type': src.contentType, 'content-length': String(length) };
  res.writeHead(range ? 206 : 200, range ? { ...common, 'content-range': `bytes ${range.start}-${range.end}/${src.size}` } : common);
  if (isHead(res)) {
    res.end();
    return;
  }
  try {
    for (let done = 0; done < length; ) {
      if (res.destroyed) return;
      const buf = Buffer.allocUnsafe(Math.min(RANGE_CHUNK_BYTES, length - done));
      const n = await src.read(buf, start + done);
      if (n === 0) throw new Error(`the file ended at byte ${start + done} of ${src.size}`);
      done += n;
      if (!res.write(buf.subarray(0, n)) && !(await drained(res))) return;
    }
    res.end();
  } catch (err) {
    res.destroy(err as Error);
    throw err;
  }
}
