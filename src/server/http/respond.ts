import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Headers every API response carries: never cached, never sniffed into another type. */
export const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Whether `res` answers a HEAD request: its headers go out, a body written to it does not. */
export const isHead = (res: ServerResponse): boolean => res.req.method === 'HEAD';

/**
 * For a HEAD request, sends the headers of a response whose body is not worked out
 * (no Content-Length: that would take the database reads GET does) and returns true.
 */
export function sentHead(res: ServerResponse, status: number, headers: Record<string, string>): boolean {
  if (!isHead(res)) return false;
  res.writeHead(status, { ...BASE_HEADERS, ...headers });
  res.end();
  return true;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Resolves when `res` can take more (drain) or is gone (close); true if it can take more. */
export function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Streams text chunks to `res` with backpressure: the next chunk is pulled only when
 * the socket took the last one, and the event loop turns between chunks (ingest
 * commits are not held up by a download). A client that goes away stops the source
 * (its iterator is returned, which closes the query). An error after the headers
 * went out destroys the response, so the client sees a cut transfer, not a short
 * document that looks whole. Resolves to whether the document was sent complete.
 */
export async function streamText(res: ServerResponse, status: number, contentType: string, chunks: AsyncIterable<string>): Promise<boolean> {
  const it = chunks[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await it.next();
  } catch (err) {
    await it.return?.();
    throw err;
  }
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': contentType });
  try {
    for (let r = first; !r.done; r = await it.next()) {
      if (res.destroyed) break;
      if (!res.write(r.value) && !(await drained(res))) break;
      await nextTurn();
    }
    if (res.destroyed) {
      await it.return?.();
      return false;
    }
    res.end();
    return true;
  } catch (err) {
    await it.return?.().catch(() => {});
    res.destroy(err as Error);
    throw err;
  }
}
