/**
 * Certificates and options for QUIC tests: a fleet CA in a temporary directory with
 * a server certificate for localhost/127.0.0.1 and device certificates, plus the
 * refusal cases (another CA, expired, revoked). Shared by the engine conformance
 * suite and the link/native tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert, revokeCert } from '../../src/tls/ca.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import type { CommonOptions } from '../../src/quic/engine.js';
import type { TlsMaterial } from '../../src/tls/material.js';

export const ALPN = 'geostream/1.0';

export interface QuicFixture {
  dir: string;
  server: TlsMaterial;
  device(id: string): TlsMaterial;
  /** A device certificate from a different CA (trusting our CA, so only the server refuses). */
  foreign: TlsMaterial;
  expired: TlsMaterial;
  revoked: TlsMaterial;
  common(tls: TlsMaterial, over?: Partial<CommonOptions>): CommonOptions;
  cleanup(): Promise<void>;
}

/** Makes the CA and certificates; `devices` are the good vehicle ids to issue. */
export async function makeQuicFixture(devices: string[] = ['VH-1', 'VH-2']): Promise<QuicFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'geostream-quic-'));
  const ca = join(dir, 'ca');
  const other = join(dir, 'other-ca');
  await initCa(ca);
  await initCa(other, { name: 'some other CA' });
  await issueCert(ca, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1', '::1'] });
  for (const id of devices) await issueCert(ca, { kind: 'device', vehicleId: id });
  await issueCert(other, { kind: 'device', vehicleId: 'VH-FOREIGN' });
  const day = 86_400_000;
  await issueCert(ca, { kind: 'device', vehicleId: 'VH-EXPIRED' }, { notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
  await issueCert(ca, { kind: 'device', vehicleId: 'VH-REVOKED' });
  await revokeCert(ca, { kind: 'device', vehicleId: 'VH-REVOKED' });
  const caPem = deviceTls(ca, devices[0]!).ca;
  return {
    dir: ca,
    server: serverTls(ca, 'localhost'),
    device: (id) => deviceTls(ca, id),
    foreign: { ...deviceTls(other, 'VH-FOREIGN'), ca: caPem },
    expired: deviceTls(ca, 'VH-EXPIRED'),
    revoked: deviceTls(ca, 'VH-REVOKED'),
    common: (tls, over = {}) => ({ alpn: [ALPN], tls, idleTimeoutMs: 180_000, keepAliveMs: 20_000, ...over }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
