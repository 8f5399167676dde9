/**
 * The self-test's CAN bus row on a real kernel (VM): the interface report from the real
 * `ip` (missing, down, up; vcan has no bit rate) and the row's verdict with frames played
 * by can-utils' canplayer from the public truck capture in data/can/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runInVm, type VmResult } from '../rig/vm/vm.js';

describe('selftest CAN row on a real kernel (VM, vcan0)', () => {
  let r: VmResult;
  type Case = { t: string; link?: Record<string, unknown>; row: { status: string; summary: string; fix?: string } };
  const got: Record<string, Case> = {};
  beforeAll(async () => {
    r = await runInVm('set -e\nnode --import tsx test/vm/guest/selftest-can.ts', { modules: ['vcan', 'can-raw'], timeoutMs: 400_000 });
    process.stderr.write(`vm selftest-can: boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel}\n`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('{'))) {
      const o = JSON.parse(l) as Case;
      got[o.t] = o;
    }
    if (r.code !== 0) throw new Error(`guest job failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  }, 420_000);

  it('no interface: ip says so and the row FAILs with the overlay fix', () => {
    expect(got.missing!.link).toMatchObject({ exists: false });
    expect(got.missing!.row).toMatchObject({ status: 'FAIL', summary: 'no interface vcan0' });
    expect(got.missing!.row.fix).toMatch(/dtoverlay=mcp2515-can0/);
  });

  it('an interface that is down: FAIL with the ip link command', () => {
    expect(got.down!.link).toMatchObject({ exists: true, up: false, kind: 'vcan', bitrate: null });
    expect(got.down!.row).toMatchObject({ status: 'FAIL', summary: 'vcan0 is down' });
    expect(got.down!.row.fix).toContain('ip link set vcan0 up type can bitrate 250000 restart-ms 100 listen-only on');
  });

  it('up but silent: WARN', () => {
    // the listening window as measured: 1 s, or a little more on a slow (emulated) VM
    expect(got.quiet!.row.status).toBe('WARN');
    expect(got.quiet!.row.summary).toMatch(/^vcan0: no frames in \d+(\.\d)? s$/);
  });

  it('the truck capture played on the bus: PASS naming the engine groups heard', () => {
    expect(got.traffic!.link).toMatchObject({ exists: true, up: true, kind: 'vcan' });
    expect(got.traffic!.row.status).toBe('PASS');
    expect(got.traffic!.row.summary).toMatch(/^vcan0 up, bit rate not reported: \d+ frames in \d+(\.\d)? s; answering: (EEC1 x\d+, VD x\d+|VD x\d+, EEC1 x\d+)$/);
  });
});
