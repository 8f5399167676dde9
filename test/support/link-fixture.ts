import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
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

export type Fleet = Awaited<ReturnType<typeof makeFleet>>;

/**
 * For a describe block (or a whole test file): the fleet of `makeFleet(devices, prefix)`,
 * made in a beforeAll registered here and removed in an afterAll. Call it before the
 * hooks that use the fleet: hooks run in the order they are registered and after-hooks
 * in reverse, so the fleet is there for every later hook and test and outlives their
 * teardown. Reading `dir` or `ca` before the fleet is made throws.
 */
export function useFleet(devices: string[], prefix?: string): Readonly<Pick<Fleet, 'dir' | 'ca'>> {
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    fleet = await makeFleet(devices, prefix);
  });
  afterAll(() => fleet?.cleanup());
  const made = (): Fleet => {
    if (!fleet) throw new Error('useFleet: the fleet is made in beforeAll; read it in a hook or test');
    return fleet;
  };
  return {
    get dir() {
      return made().dir;
    },
    get ca() {
      return made().ca;
    },
  };
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
