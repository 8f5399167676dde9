/**
 * QuicEngine over ngtcp2 (native/ addon, loaded by native-loader.ts): the device's client
 * (ngtcp2-client.ts) and the server (ngtcp2-server.ts) over one connection class
 * (ngtcp2-connection.ts). JavaScript owns the UDP sockets and the timers; the addon does
 * QUIC and TLS.
 */
import type { QuicEngine } from './engine.js';
import { connect } from './ngtcp2-client.js';
import type { Ngtcp2EngineOptions } from './ngtcp2-options.js';
import { listen } from './ngtcp2-server.js';

export type { Ngtcp2EngineOptions };

export function createNgtcp2Engine(engineOpts: Ngtcp2EngineOptions = {}): QuicEngine {
  return {
    name: 'ngtcp2',
    listen: (opts) => listen(opts, engineOpts),
    connect: (opts) => connect(opts, engineOpts),
  };
}

export const ngtcp2Engine: QuicEngine = createNgtcp2Engine();
