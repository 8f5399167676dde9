import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert } from '../../src/tls/ca.js';

/** A temp dir with a fleet CA, a server certificate for localhost/127.0.0.1 and device certificates. */
export async function makeFleet(devices: string[], prefix = 'gs-link-'): Promise<{ dir: string; ca: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = join(dir, 'ca');
  await initCa(ca);
  await issueCert(ca, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
  for (const d of devices) await issueCert(ca, { kind: 'device', vehicleId: d });
  return { dir, ca, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes `agent.json` in the fleet's folder for `vehicle` on the sim board, streaming to
 * the ingest server on 127.0.0.1:`port` with the fleet's certificates; `extra` adds or
 * replaces top-level sections and `server` keys. Returns the file's path.
 */
export function writeAgentConfig(fleet: { dir: string }, vehicle: string, port: number, extra: { server?: Record<string, unknown>; [section: string]: unknown } = {}): string {
  const { server, ...sections } = extra;
  const file = join(fleet.dir, 'agent.json');
  writeFileSync(
    file,
    JSON.stringify({
      vehicle: { id: vehicle },
      board: 'sim',
      log: { level: 'info' },
      spool: { dir: join(fleet.dir, 'spool') },
      ...sections,
      server: { address: `127.0.0.1:${port}`, serverName: 'localhost', ca: 'ca/ca.pem', cert: `ca/devices/${vehicle}.pem`, key: `ca/devices/${vehicle}.key`, ...server },
    }),
  );
  return file;
}
