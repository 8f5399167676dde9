import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { encodeRecord } from '../../src/codec/index.js';
import type { MemSpool } from './mem-spool.js';

/** The HTTP API's base URL from a server process's log ("HTTP API on http://127.0.0.1:PORT/api/v1/"). */
export function httpBaseOf(output: string): string {
  const m = /HTTP API on (https?:\/\/[^/\s]+)\/api\/v1\//.exec(output);
  if (!m) throw new Error(`no HTTP API line in the server output:\n${output}`);
  return m[1]!;
}

/** GET with a bearer token (or none); the response's status, headers and text. */
export async function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string; headers: Headers }> {
  const r = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text(), headers: r.headers };
}

/** Sends raw bytes on a new TCP connection; resolves to all the server answered before closing (or after `ms`). */
export function rawRequest(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => s.destroy(), ms);
    s.on('data', (d) => (out += String(d)));
    s.on('error', (e) => (out ? resolve(out) : reject(e)));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.write(bytes);
  });
}

/** GET over HTTPS checking the server's certificate against `ca` (servername localhost). */
export function httpsGet(url: string, ca: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, servername: 'localhost', headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface SseEvent {
  event: string;
  id: string;
  data: string;
}

/** Reads a Server-Sent Events stream; events arrive in `events` as they are parsed. */
export async function openSse(url: string, token: string): Promise<{ status: number; events: SseEvent[]; close: () => void }> {
  const ac = new AbortController();
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: SseEvent[] = [];
  if (r.status === 200 && r.body) {
    void (async () => {
      let buf = '';
      const dec = new TextDecoder();
      try {
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const e: SseEvent = { event: 'message', id: '', data: '' };
            let any = false;
            for (const line of block.split('\n')) {
              const m = /^(event|id|data): ?(.*)$/.exec(line);
              if (!m) continue;
              any = true;
              if (m[1] === 'data') e.data += m[2];
              else e[m[1] as 'event' | 'id'] = m[2]!;
            }
            if (any && e.data) events.push(e);
          }
        }
      } catch {
        // aborted
      }
    })();
  } else await r.text();
  return { status: r.status, events, close: () => ac.abort() };
}

/**
 * Appends telemetry records to a MemSpool at `perTick` every 10 ms, driving north from
 * Berlin at 10 m/s with ignition on, times from `t0` at 1 Hz; stop() ends it.
 */
export function produceTelemetry(spool: MemSpool, notify: () => void, t0: number, perTick = 20): { stop: () => void; count: () => number } {
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const timeMs = t0 + n * 1000;
      const seq = spool.headSeq + 1;
      spool.append(encodeRecord({ seq, timeMs, lat7: 525_200_000 + n * 9, lon7: 134_050_000, altDm: 345, speedCms: 1000, courseCdeg: 0, mode: 3, sats: 9, hdopC: 90, ignition: true, fuelPm: 500 }), timeMs);
      n++;
    }
    notify();
  }, 10);
  return { stop: () => clearInterval(timer), count: () => n };
}
