import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../agent/config.js';
import { errorMessage } from '../../base/errors.js';
import type { Clock } from '../../base/clock.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { parseHostPort } from '../../base/host-port.js';
import { HandshakeRefused, probeHandshake } from '../../link/handshake-probe.js';
import { tlsFromConfig } from '../../agent/pipeline.js';
import { QuicError, type QuicEngine } from '../../quic/engine.js';
import type { TlsMaterial } from '../../tls/material.js';
import { createEngine } from '../../quic/engines.js';
import { RECORD_SCHEMA } from '../../telemetry/record-codec.js';
import { CURSOR_FILE } from '../../spool/constants.js';
import { parseCursor } from '../../spool/cursor.js';
import { VERSION } from '../../base/version.js';
import { ProbeError } from '../check.js';
import type { ServerProbe } from '../probe-types.js';

/** The probe's own budget: under the server check's 8 s so its reason, not the runner's timeout, is shown. */
export const SERVER_PROBE_MS = 6000;

export interface ServerProbeOptions {
  /** Tests: another engine than the config's. */
  engine?: QuicEngine;
  timeoutMs?: number;
}

/** The spool's id and ack from its cursor file, read only (the agent may hold the spool). */
function spoolOf(config: Config): { id: string; acked: number; own: boolean } {
  try {
    const c = parseCursor(readFileSync(join(resolve(config.spool.dir), CURSOR_FILE), 'utf8'));
    if (typeof c !== 'string') return { id: c.spoolId, acked: c.acked, own: true };
  } catch {
    // no spool yet
  }
  return { id: randomBytes(16).toString('hex'), acked: 0, own: false };
}

const REISSUE = 'issue this vehicle a certificate from the fleet CA (geostream ca issue --dir CA-DIR --force VEHICLE-ID on the CA host) and install it as server.cert/server.key';

/** What the technician does about each way the handshake fails. */
function explain(err: unknown, target: string, serverName: string): ProbeError {
  const msg = errorMessage(err);
  if (err instanceof HandshakeRefused) {
    const fix =
      err.code === CloseCode.identity
        ? `the certificate names another vehicle than the config's vehicle.id: fix vehicle.id or ${REISSUE}`
        : err.code === CloseCode.unauthenticated
          ? `the server reads no vehicle id from this certificate: ${REISSUE}`
          : err.code === CloseCode.version
            ? 'the server and this agent speak different protocol or record schema versions: update the agent or the server'
            : 'look at the server log for this vehicle; retry later if the server was busy or restarting';
    return new ProbeError(msg, fix);
  }
  if (err instanceof QuicError) {
    switch (err.code) {
      case 'timeout':
        return new ProbeError(msg, `check the mobile data connection, that the server runs at ${target}, and that UDP to port ${target.split(':').pop()} is not blocked by a firewall`);
      case 'alpn':
        return new ProbeError(msg, `the service at ${target} does not speak geostream/1.0: check server.address (host and port of the geostream ingest server)`);
      case 'tls':
        return /refused the server's certificate/.test(msg)
          ? new ProbeError(msg, `the server's certificate must chain to server.ca (the fleet CA) and carry the name "${serverName}": check server.ca, server.serverName and server.address`)
          : new ProbeError(msg, `the server does not accept this device's certificate (another CA, expired or revoked): ${REISSUE}`);
      default:
        return new ProbeError(msg, `check the mobile data connection and that the server runs at ${target}; look at the server log`);
    }
  }
  return new ProbeError(msg, 'report this with the output of: GEOSTREAM_DEBUG=1 geostream selftest');
}

/**
 * The server check's probe: one geostream/1.0 session with the config's server,
 * certificate and engine (HELLO naming this vehicle and its spool, WELCOME back,
 * orderly close; no records sent). Undefined when the config names no server.
 */
export function serverProbe(config: Config, clock: Clock, opts: ServerProbeOptions = {}): ServerProbe | undefined {
  const server = config.server;
  if (!server) return undefined;
  return {
    async handshake(signal) {
      const addr = parseHostPort(server.address);
      const target = server.address;
      const serverName = server.serverName ?? addr.host;
      let tls: TlsMaterial;
      let engine: QuicEngine;
      try {
        tls = tlsFromConfig(server, config.file);
      } catch (err) {
        throw new ProbeError(errorMessage(err), 'put the fleet CA, this vehicle\'s certificate and its key (mode 0600) where server.ca, server.cert and server.key say');
      }
      try {
        engine = opts.engine ?? createEngine(server.engine);
      } catch (err) {
        throw new ProbeError(errorMessage(err), `set server.engine to one this build has (matrixai on x64, ngtcp2 on arm64)`);
      }
      const spool = spoolOf(config);
      try {
        const r = await probeHandshake({
          engine,
          server: addr,
          serverName,
          tls,
          device: config.vehicle.id,
          firmware: VERSION,
          schema: RECORD_SCHEMA,
          spool,
          timeoutMs: opts.timeoutMs ?? SERVER_PROBE_MS,
          signal,
          now: () => clock.now(),
        });
        return { address: r.address, alpn: r.alpn, rttMs: r.rttMs, connectMs: r.connectMs, high: r.welcome.high, spool: spool.own ? 'device' : 'none' };
      } catch (err) {
        throw explain(err, target, serverName);
      }
    },
  };
}
