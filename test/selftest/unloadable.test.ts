import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from '../support/cli-io.js';

// The probes' modules load the native addons. Here the registry fails the way an addon
// built for another Node does on a Pi (dlopen's ABI refusal) when the command reaches it.
const { ABI } = vi.hoisted(() => ({
  ABI: "The module '/var/cache/geostream/pkg/epoll.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127.",
}));
vi.mock('../../src/selftest/probe-registry.js', () => ({
  get defaultProbes(): never {
    throw new Error(ABI);
  },
}));

const root = mkdtempSync(join(tmpdir(), 'gs-selftest-abi-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('selftest when the hardware code cannot load', () => {
  it('prints the whole report: device rows FAIL with the addon error and the fix, the rest still run', async () => {
    const file = join(root, 'config.json');
    writeFileSync(file, JSON.stringify({ vehicle: { id: 'TRUCK-042' }, board: 'sim', spool: { dir: join(root, 'spool') } }));
    const r = await cli(['selftest', '--config', file, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; reason?: string; fix?: string }[] };
    const row = (id: string) => report.checks.find((c) => c.id === id)!;
    for (const id of ['uart', 'gnss-fix', 'i2c', 'leds', 'ignition']) {
      expect(row(id), id).toMatchObject({ status: 'FAIL', reason: ABI.split('\n')[0] });
      expect(row(id).fix, id).toMatch(/make package-arm64/);
    }
    expect(row('config').status).toBe('PASS');
    expect(row('spool').status).toBe('PASS');
  });
});
