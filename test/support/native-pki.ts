/**
 * A throwaway fleet CA with a server certificate (localhost, 127.0.0.1 and the
 * rig's server address) and device certificates, for the ngtcp2 engine tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert } from '../../src/tls/ca.js';
import { deviceTls, serverTls } from '../../src/tls/material.js';
import type { TlsMaterial } from '../../src/tls/material.js';

export interface Pki {
  dir: string;
  server: TlsMaterial;
  device(id: string): Promise<TlsMaterial>;
  cleanup(): void;
}

export async function makePki(prefix = 'native-pki-'): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await initCa(dir, { name: 'test fleet CA' });
  await issueCert(dir, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1', '10.200.9.2'] });
  return {
    dir,
    server: serverTls(dir, 'localhost'),
    device: async (id: string) => {
      await issueCert(dir, { kind: 'device', vehicleId: id });
      return deviceTls(dir, id);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
