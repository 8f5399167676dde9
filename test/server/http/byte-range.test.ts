// The Range header of a file request: one range of three forms, clamped to the file;
// past the end is 416 with the file's size; anything else is 400 naming the header.
// A HEAD request gets the headers of the range and reads nothing of the file.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseByteRange } from '../../../src/server/http/byte-range.js';
import { sendRange, type RangeSource } from '../../../src/server/http/send-range.js';
import { rawRequest } from '../../support/http-api.js';
import { HttpError } from '../../../src/server/http/errors.js';

const refusal = (h: string, size: number): { status: number; message: string; headers: Record<string, string> } => {
  try {
    parseByteRange(h, size);
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
    throw err;
  }
  throw new Error(`${h} was accepted`);
};

describe('byte ranges', () => {
  it('no header: the whole file; first-last, first-, -suffix; the end clamped to the file', () => {
    expect(parseByteRange(undefined, 1000)).toBeNull();
    expect(parseByteRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=990-', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseByteRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseByteRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseByteRange('bytes=0-16383', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseByteRange(' Bytes=5-5 ', 1000)).toEqual({ start: 5, end: 5 });
    expect(parseByteRange('bytes=999-99999999999999999999', 1000)).toEqual({ start: 999, end: 999 });
  });

  it('nothing of the file in the range: 416 with Content-Range bytes */SIZE', () => {
    for (const h of ['bytes=1000-', 'bytes=1000-2000', 'bytes=99999999999999999999-', 'bytes=-0']) {
      const r = refusal(h, 1000);
      expect([r.status, r.headers['content-range']], h).toEqual([416, 'bytes */1000']);
      expect(r.message).toMatch(/^Range: .*\(the file has 1000 bytes\)$/);
    }
  });

  it('malformed headers and lists of ranges: 400 naming the header and what was sent', () => {
    const cases: [string, RegExp][] = [
      ['bytes=0-9,20-29', /only one range per request is served, got "bytes=0-9,20-29"/],
      ['bytes=5-1', /the last byte 1 comes before the first 5/],
      ['bytes=-', /names no byte/],
      ['items=0-9', /expected bytes=FIRST-LAST/],
      ['bytes=0x10-', /expected bytes=FIRST-LAST/],
      ['bytes=1-2-3', /expected bytes=FIRST-LAST/],
      ['bytes=+1-2', /expected bytes=FIRST-LAST/],
      ['bytes=', /expected bytes=FIRST-LAST/],
      [`bytes=${'9'.repeat(21)}-`, /expected bytes=FIRST-LAST/],
    ];
    for (const [h, why] of cases) {
      const r = refusal(h, 1000);
      expect(r.status, h).toBe(400);
      expect(r.message, h).toMatch(/^Range: /);
      expect(r.message, h).toMatch(why);
    }
  });
});

describe('sendRange', () => {
  it('HEAD: the headers GET gets and no byte read from the file or sent', async () => {
    const bytes = Buffer.from('0123456789'.repeat(10_000));
    let reads = 0;
    const src: RangeSource = {
      size: bytes.length,
      etag: '"e"',
      contentType: 'application/octet-stream',
      read: async (buf, position) => {
        reads++;
        return bytes.copy(buf, 0, position);
      },
    };
    const server = createServer((req, res) => void sendRange(req, res, src, {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const ask = (method: string, range: string) => rawRequest(port, `${method} / HTTP/1.1\r\nhost: x\r\nrange: ${range}\r\nconnection: close\r\n\r\n`);
      for (const range of ['bytes=0-', 'bytes=10-19']) {
        const get = await ask('GET', range);
        expect(reads, range).toBeGreaterThan(0);
        reads = 0;
        const head = await ask('HEAD', range);
        expect(reads, range).toBe(0);
        const top = (r: string) => r.slice(0, r.indexOf('\r\n\r\n')).replace(/^date: .*\r\n/im, '');
        expect(top(head), range).toBe(top(get));
        expect(head.endsWith('\r\n\r\n'), range).toBe(true);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
