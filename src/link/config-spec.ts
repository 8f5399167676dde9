import type { Spec } from '../base/spec.js';
import { HOST_PORT_PATTERN } from '../base/host-port.js';

/**
 * Where the agent sends its records, and with which credentials. Relative paths are
 * relative to the config file. The key must be readable by
 * its owner only (mode 0600).
 */
export const serverSpec = {
  type: 'object',
  optional: true,
  fields: {
    address: { type: 'string', pattern: HOST_PORT_PATTERN, patternHint: 'HOST:PORT', doc: 'ingest server (UDP)' },
    serverName: { type: 'string', optional: true, doc: 'name the server certificate must carry (default: the host of address)' },
    ca: { type: 'string', doc: 'fleet CA certificate (PEM) the server certificate must chain to' },
    cert: { type: 'string', doc: "this vehicle's certificate (PEM), naming the vehicle id" },
    key: { type: 'string', doc: "this vehicle's private key (PEM, mode 0600)" },
    engine: { type: 'enum', values: ['matrixai', 'ngtcp2'], default: 'ngtcp2', doc: 'QUIC implementation (ngtcp2 = the native addon; matrixai = @matrixai/quic, x64 only)' },
  },
} as const satisfies Spec;
