// Builds the real executables (slow the first time: Node from npm, better-sqlite3 compiled
// per arch; cached in ~/.cache/geostream after that), so it lives in a file of its own.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildExe, runExe, runScript, type Arch } from '../support/exe.js';
import { repoRoot } from '../support/shared.js';
import { unitEnvironment } from '../support/unit-env.js';

const ARCHES: Arch[] = ['x64', 'arm64'];
const ELF_MACHINE: Record<Arch, number> = { x64: 0x3e, arm64: 0xb7 };
const exes = {} as Record<Arch, string>;
const probes = {} as Record<Arch, string>;

beforeAll(async () => {
  for (const arch of ARCHES) {
    exes[arch] = await buildExe(arch);
    probes[arch] = await buildExe(arch, join(repoRoot, 'test', 'fixtures', 'package', 'addons-entry.ts'), 'addons-probe');
  }
}, 1_200_000);

describe.each(ARCHES)('packaged executable for linux-%s', (arch) => {
  it('is an ELF executable for its arch holding every addon built for that arch', () => {
    const head = readFileSync(exes[arch]).subarray(0, 20);
    expect(head.readUInt32BE(0)).toBe(0x7f454c46);
    expect(head.readUInt16LE(18)).toBe(ELF_MACHINE[arch]);
    const stage = join(repoRoot, 'out', 'stage', `geostream-linux-${arch}`, 'addons');
    const addons = readdirSync(stage).sort();
    expect(addons).toEqual(expect.arrayContaining(['better_sqlite3.node', 'epoll.node', 'i2c.node', 'serialport.node']));
    expect(addons.includes('quic.node')).toBe(arch === 'x64'); // @matrixai/quic has no arm64 build
    for (const a of addons) expect(readFileSync(join(stage, a)).readUInt16LE(18), a).toBe(ELF_MACHINE[arch]);
  });

  it('runs the pinned Node 22 and reports its arch', async () => {
    const r = await runExe(arch, exes[arch], ['version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^geostream \\d+\\.\\d+\\.\\d+ \\(node v22\\.\\d+\\.\\d+, linux-${arch}\\)\\n$`));
  });

  it("honours the systemd unit's NODE_OPTIONS (jitless, 1 MB semi-spaces: agent RSS)", async () => {
    const options = unitEnvironment().NODE_OPTIONS ?? '';
    const probe = join(repoRoot, 'test', 'fixtures', 'package', 'options-probe.cjs');
    const r = await runExe(arch, exes[arch], ['version'], { env: { ...process.env, NODE_OPTIONS: `${options} --require ${probe}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^geostream \d/);
    const seen = JSON.parse(/^options-probe (.*)$/m.exec(r.stderr)?.[1] ?? 'null') as { webAssembly: string; newSpaceBytes: number } | null;
    expect(seen, `the probe did not run: NODE_OPTIONS ignored?\n${r.stderr}`).not.toBeNull();
    expect(seen!.webAssembly).toBe('undefined'); // --jitless turns WebAssembly off
    expect(seen!.newSpaceBytes).toBeLessThanOrEqual(2 * 1024 * 1024); // two 1 MB semi-spaces (default grows to 32 MB)
  });

  it("each package's own loader (bindings, node-gyp-build, quiche.js) gets its addon inside the executable", async () => {
    const r = await runExe(arch, probes[arch], [], { env: { ...process.env, PKG_NATIVE_CACHE_PATH: join(repoRoot, 'out', `pkg-cache-${arch}`) } });
    expect(r.stderr).toBe('');
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(o.arch).toBe(arch);
    expect(o.sqlite).toMatch(/^3\.\d+\.\d+$/);
    expect(o.i2c).toBe('function');
    // The error comes from inside the serialport binding: it loaded and tried the device.
    expect(o.serialport).toMatch(/No such file or directory, cannot open \/nonexistent\/ttyGS0/);
    if (arch === 'x64') expect(o.quic).toBe('config ok, max datagram 1350');
    else expect(o.quic).toMatch(/@matrixai\/quic .* is not available in this executable: it has no linux-arm64 build; use the ngtcp2 engine/);
    expect(o.cbor).toEqual([1, 2.5, 'x']);
    expect(o.log).toBe('INFO: hello {"key":"[redacted]"}');
  });

  it(`smoke-${arch}: version, addons from PKG_NATIVE_CACHE_PATH, selftest on the sim board with a real certificate`, async () => {
    const r = await runScript('scripts/package/smoke.sh', [arch], { timeoutMs: 230_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok: selftest on the sim board/);
    expect(r.stdout).toMatch(new RegExp(`smoke\\[${arch}\\]: PASSED`));
  }, 240_000);
});

describe('package build errors', () => {
  it('an unknown architecture is refused with the known ones named', async () => {
    await expect(buildExe('riscv64' as Arch)).rejects.toThrow(/unknown architecture "riscv64" \(known: x64, arm64\)/);
  });
});
