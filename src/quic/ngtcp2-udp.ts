import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { QuicError } from './engine.js';

/** A UDP socket of `type` bound to host:port (0: any free port); QuicError 'internal' naming the address when it cannot be. */
export function bindSocket(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const onErr = (e: Error): void => reject(new QuicError('internal', `cannot bind UDP ${host}:${port}: ${e.message}`));
    s.once('error', onErr);
    s.bind(port, host, () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
}

/** An address for `host` (a literal is itself); QuicError 'refused' naming the host when it does not resolve. */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (e) {
    throw new QuicError('refused', `cannot resolve ${host}: ${(e as Error).message}`);
  }
}
