// The self-test's CAN bus row: the judgement of what the kernel and the bus said, the
// kernel's interface report read with the real `ip`, and the whole row on the simulated
// board's J1939 truck through the agent's own CAN source.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/agent/config.js';
import { systemClock } from '../../src/base/clock.js';
import { canLinkInfo, parseIpLink } from '../../src/hal/linux/can-link.js';
import { vehicleProbes } from '../../src/selftest/probes/vehicle.js';
import { runChecks } from '../../src/selftest/runner.js';
import { checks } from '../../src/selftest/checks/index.js';
import { judgeCan } from '../../src/selftest/checks/can.js';
import type { CanLinkReport, CanSample } from '../../src/selftest/probe-types.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-selftest-can-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINK: CanLinkReport = { exists: true, up: true, kind: 'can', bitrate: 250_000, ctrlmode: ['LISTEN-ONLY'], state: 'ERROR-ACTIVE', restartMs: 100 };
const sample = (o: Partial<CanSample> = {}, link: Partial<CanLinkReport> | null = {}): CanSample => ({
  iface: 'can0', protocol: 'j1939', bitrate: 250_000, simulated: false, link: link === null ? null : { ...LINK, ...link },
  durationMs: 3000, frames: 5400, readings: 2100, busOff: 0, answered: { EEC1: 300, CCVS: 30, ET1: 3, LFE: 30 }, ...o,
});

describe('CAN row: what the kernel and the bus said', () => {
  it('PASS names the bit rate, listen-only and the groups that answered, most frequent first', () => {
    const r = judgeCan(sample());
    expect(r).toEqual({ status: 'PASS', summary: 'can0 up, 250 kbit/s, listen-only: 5400 frames in 3 s; answering: EEC1 x300, CCVS x30, LFE x30, ET1 x3' });
  });

  it('a missing interface, one that is down, or at another bit rate FAILs with the command that fixes it', () => {
    const gone = judgeCan(sample({ frames: 0, readings: 0, answered: {}, portError: 'can0: nodev: no such interface' }, { exists: false }));
    expect([gone.status, gone.summary]).toEqual(['FAIL', 'no interface can0']);
    expect(gone.fix).toMatch(/dtoverlay=mcp2515-can0/);
    const down = judgeCan(sample({ frames: 0, readings: 0 }, { up: false }));
    expect([down.status, down.summary]).toEqual(['FAIL', 'can0 is down']);
    expect(down.fix).toContain('ip link set can0 up type can bitrate 250000 restart-ms 100 listen-only on');
    const rate = judgeCan(sample({}, { bitrate: 500_000 }));
    expect([rate.status, rate.summary]).toEqual(['FAIL', 'can0 runs at 500 kbit/s, the board file says 250 kbit/s']);
    const eth = judgeCan(sample({}, { kind: 'veth' }));
    expect(eth.summary).toBe('can0 is a veth interface, not CAN');
  });

  it('bus-off FAILs; silence and undecodable traffic WARN with what to check', () => {
    expect(judgeCan(sample({ busOff: 1 })).summary).toBe('can0 went bus-off');
    expect(judgeCan(sample({}, { state: 'BUS-OFF' })).status).toBe('FAIL');
    const quiet = judgeCan(sample({ frames: 0, readings: 0, answered: {} }));
    expect([quiet.status, quiet.summary]).toEqual(['WARN', 'can0: no frames in 3 s']);
    expect(quiet.reason).toMatch(/ignition off/);
    const odd = judgeCan(sample({ readings: 0, answered: {} }));
    expect([odd.status, odd.summary]).toEqual(['WARN', 'can0: 5400 frames in 3 s, none decoded']);
    expect(odd.fix).toMatch(/can.protocol \(j1939\)/);
  });

  it('vcan (no bit rate) passes without one; many groups are cut to twelve', () => {
    const answered = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`G${String(i).padStart(2, '0')}`, 100 - i]));
    const r = judgeCan(sample({ answered }, { kind: 'vcan', bitrate: null, ctrlmode: [] }));
    expect(r.summary).toMatch(/^can0 up, bit rate not reported: 5400 frames in 3 s; answering: G00 x100, .*G11 x89, 3 more$/);
  });
});

describe('the kernel interface report (iproute2 JSON)', () => {
  it('reads the real ip: an existing non-CAN interface, and one that does not exist', async () => {
    const lo = await canLinkInfo('lo');
    expect(lo).toMatchObject({ exists: true, up: true, bitrate: null });
    expect(await canLinkInfo('nosuchcan9')).toMatchObject({ exists: false });
    expect(await canLinkInfo('can0', '/nonexistent/ip')).toBeNull();
  });

  it('a CAN controller: bit rate, control modes, state and restart-ms from linkinfo.info_data', () => {
    // the fields iproute2's ip/iplink_can.c prints in JSON for a configured MCP2515
    const text = JSON.stringify([{
      ifindex: 3, ifname: 'can0', flags: ['NOARP', 'UP', 'LOWER_UP', 'ECHO'], operstate: 'UP', link_type: 'can',
      linkinfo: { info_kind: 'can', info_data: { ctrlmode: ['LISTEN-ONLY'], state: 'ERROR-ACTIVE', berr_counter: { tx: 0, rx: 0 }, restart_ms: 100,
        bittiming: { bitrate: 250000, sample_point: '0.875', tq: 250, prop_seg: 6, phase_seg1: 7, phase_seg2: 2, sjw: 1 }, clock: 8000000 } },
    }]);
    expect(parseIpLink(text)).toEqual({ exists: true, up: true, kind: 'can', bitrate: 250_000, ctrlmode: ['LISTEN-ONLY'], state: 'ERROR-ACTIVE', restartMs: 100 });
    expect(parseIpLink('[{"ifname":"can0","flags":["NOARP"],"linkinfo":{"info_kind":"can","info_data":{"bittiming":{"bitrate":-1}}}}]')).toMatchObject({ up: false, bitrate: null });
    expect(parseIpLink('not json')).toBeNull();
    expect(parseIpLink('{"a":1}')).toBeNull();
  });
});

describe('CAN row on the simulated board', () => {
  it("hears the simulated truck's engine, gearbox, cluster and tyre ECUs through the agent's CAN source", async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ vehicle: { id: 'TRUCK-CAN' }, board: 'sim', spool: { dir: join(dir, 'spool') } }));
    const config = loadConfig(file);
    const probes = vehicleProbes(config, systemClock);
    try {
      const [r] = await runChecks(checks.filter((c) => c.id === 'can'), { config, tlsDir: dir, clock: systemClock, probes });
      expect(r!.status).toBe('PASS');
      expect(r!.summary).toMatch(/^can0 \(simulated\) up: \d+ frames in 3 s; answering: .*EEC1 x\d+/);
      for (const g of ['CCVS', 'ET1', 'LFE']) expect(r!.summary).toContain(g);
    } finally {
      await probes.dispose!();
    }
  });
});
