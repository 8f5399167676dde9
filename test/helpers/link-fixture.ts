import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert } from '../../src/link/tls/ca.js';

/** A temp dir with a fleet CA, a server certificate for localhost/127.0.0.1 and device certificates. */
export async function makeFleet(devices: string[], prefix = 'gs-link-'): Promise<{ dir: string; ca: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = join(dir, 'ca');
  await initCa(ca);
  await issueCert(ca, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
  for (const d of devices) await issueCert(ca, { kind: 'device', vehicleId: d });
  return { dir, ca, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
