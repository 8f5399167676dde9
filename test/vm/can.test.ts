/**
 * The SocketCAN path on a real kernel (vcan, can-raw): the socketcan addon, LinuxCan and
 * the J1939 vehicle source against frames from can-utils (cansend, canplayer, cangen); a
 * write seen by candump; the interface taken down and up, removed and recreated; a flood of
 * random frames. vcan has no controller, so bus-off is covered by the error-frame tests
 * (test/hal/can.test.ts), not here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runInVm, type VmResult } from '../rig/vm/vm.js';

describe('SocketCAN on a real kernel (VM)', () => {
  let r: VmResult;
  const got: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    const script = ['set -e', 'ip link add vcan0 type vcan', 'ip link set vcan0 up', 'node --import tsx test/vm/guest/can.ts'].join('\n');
    r = await runInVm(script, { modules: ['vcan', 'can-raw'], timeoutMs: 400_000 });
    process.stderr.write(`vm can: boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel}\n`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('{'))) {
      const o = JSON.parse(l) as { t: string };
      got[o.t] = o;
    }
    process.stderr.write(`vm can flood: ${JSON.stringify(got.flood)}\n`);
    if (r.code !== 0) throw new Error(`guest job failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  }, 420_000);

  it('a frame from cansend reaches the decoder, with a kernel timestamp', () => {
    expect(got.cansend).toMatchObject({ rpm: 1000, ext: true });
    expect(Math.abs(got.cansend!.tsLagMs as number)).toBeLessThan(5000);
  });

  it('a candump log played by canplayer reassembles two interleaved TP.BAM sessions (VIN, DM1)', () => {
    expect(got.canplayer).toEqual({ t: 'canplayer', vin: 'YS2R4X20005399401', dtcs: ['SPN 190 FMI 2', 'SPN 524287 FMI 5'], speedKmh: 90 });
  });

  it('a write on a transmitting port is on the bus as candump sees it', () => {
    expect(got.write).toMatchObject({ candump: '7DF#02010C0000000000' });
  });

  it('survives the interface going down and up without reopening', () => {
    expect(got['down-up']).toMatchObject({ rpm: 600, reopens: 0 });
  });

  it('survives the interface being removed and recreated: reopens and reads again', () => {
    expect(got['remove-recreate']).toMatchObject({ rpm: 500 });
    expect(got['remove-recreate']!.reopens as number).toBeGreaterThan(0);
  });

  it('`geostream can dump vcan0` prints the decoded group live', () => {
    expect(got.dump).toMatchObject({ code: 0, line: { iface: 'vcan0', pgn: 65265, name: 'CCVS', sa: 0x17, values: { speedKmh: 90 } } });
  });

  it('a flood of 20,000 random frames: no crash, bounded memory, still decoding', () => {
    expect(got.flood).toMatchObject({ alive: true });
    expect(got.flood!.frames as number).toBeGreaterThan(1000);
    expect(got.flood!.rssGrowthMb as number).toBeLessThan(50);
  });
});
