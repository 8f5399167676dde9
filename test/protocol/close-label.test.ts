import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemNet } from '../support/mem-engine.js';
import { waitFor } from '../support/wait.js';
import { repoRoot } from '../support/shared.js';
import { MemSpool } from '../support/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store/store.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { CloseCode, closeLabel, TransportError } from '../../src/protocol/close-codes.js';
import { describeCloseCode, transportCodeOfLiberr } from '../../src/quic/alerts.js';

/**
 * QUIC transport error codes and geostream application codes share numbers
 * (0x09 is CONNECTION_ID_LIMIT_ERROR and unauthenticated): logs, stats and the
 * device's retry decision must keep them apart.
 */
describe('close codes are named with their kind', () => {
  it('application codes by name, transport codes as QUIC transport errors', () => {
    expect(closeLabel(CloseCode.protocol, true)).toBe('protocol (0x01)');
    expect(closeLabel(0x09, true)).toBe('unauthenticated (0x09)');
    expect(closeLabel(0x09, false)).toBe('QUIC transport CONNECTION_ID_LIMIT_ERROR (0x09)');
    expect(closeLabel(0x0a, false)).toBe('QUIC transport PROTOCOL_VIOLATION (0x0a)');
    expect(closeLabel(0x178, false)).toBe('QUIC transport CRYPTO_ERROR (0x178)');
    expect(closeLabel(0x4242, false)).toBe('QUIC transport error (0x4242)');
    expect(describeCloseCode(0x09)).toBe('connection id limit error');
    expect(describeCloseCode(0x0f)).toBe('AEAD limit reached');
    expect(describeCloseCode(0x178)).toBe('TLS alert 120: no common application protocol (ALPN)');
  });

  it('every application code is printed with the name and number of the Close codes table in docs/PROTOCOL.md', () => {
    const doc = readFileSync(join(repoRoot, 'docs/PROTOCOL.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Close codes'), doc.indexOf('## Session'));
    const rows = [...table.matchAll(/^\| (0x[0-9a-f]{2}) \| ([a-z-]+) \|/gm)].map((m) => `${m[2]} (${m[1]})`);
    expect(rows.length).toBe(Object.keys(CloseCode).length);
    expect(Object.values(CloseCode).map((c) => closeLabel(c, true))).toEqual(rows);
  });

  it("ngtcp2's library errors map to the transport code ngtcp2 sends for them", () => {
    expect(transportCodeOfLiberr('ERR_CONNECTION_ID_LIMIT')).toBe(TransportError.CONNECTION_ID_LIMIT_ERROR);
    expect(transportCodeOfLiberr('ERR_FLOW_CONTROL')).toBe(TransportError.FLOW_CONTROL_ERROR);
    expect(transportCodeOfLiberr('ERR_PROTO')).toBe(TransportError.PROTOCOL_VIOLATION);
    expect(transportCodeOfLiberr('')).toBe(TransportError.INTERNAL_ERROR);
  });
});

describe('a connection ended by a QUIC transport error (shells over an in-memory transport)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is logged and stored as a transport error, and the device retries soon (not the long backoff of unauthenticated)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-close-label-'));
    dirs.push(dir);
    const net = new MemNet();
    const store = Store.open(join(dir, 'db.sqlite'));
    const lines: string[] = [];
    const log = silentLogger();
    log.info = ((...args: unknown[]) => void lines.push(String(args.at(-1)))) as typeof log.info;
    const server = new IngestServer({ engine: net.engine(), store, host: '127.0.0.1', port: 4433, tls: { cert: 'server', key: 'k', ca: 'ca' }, log, identify: (der) => new TextDecoder().decode(der) });
    await server.start();
    const status = new StatusBoard();
    const link = new DeviceLink({ engine: net.engine(), spool: new MemSpool(), server: '127.0.0.1:4433', tls: { cert: 'truck-1', key: 'k', ca: 'ca' }, clock: systemClock, log: silentLogger(), status, device: 'truck-1', random: () => 0 });
    try {
      link.start();
      await waitFor(() => status.link === 'online', 5000, 'online');
      net.killAll({ code: TransportError.CONNECTION_ID_LIMIT_ERROR, app: false, reason: 'ERR_CONNECTION_ID_LIMIT', by: 'peer' });
      await waitFor(() => link.stats.lastClose !== null, 5000, 'device saw the close');
      expect(link.stats.lastClose).toBe('closed by peer: QUIC transport CONNECTION_ID_LIMIT_ERROR (0x09) ERR_CONNECTION_ID_LIMIT');
      await waitFor(() => lines.some((l) => /disconnected/.test(l)), 5000, 'server log line');
      expect(lines.find((l) => /disconnected/.test(l))).toBe('truck-1 disconnected (peer: QUIC transport CONNECTION_ID_LIMIT_ERROR (0x09) ERR_CONNECTION_ID_LIMIT)');
      // the first retry waits cap/2 = 250 ms; unauthenticated would wait the 60 s maximum
      await waitFor(() => status.link === 'online', 3000, 'back online after a short backoff');
      await waitFor(() => store.stats()[0]?.handshakes === 2, 3000, 'second handshake stored');
      expect(store.stats()[0]!.lastClose).toBe('peer: QUIC transport CONNECTION_ID_LIMIT_ERROR (0x09) ERR_CONNECTION_ID_LIMIT');
    } finally {
      await link.stop();
      await server.stop();
      store.close();
    }
  });
});
