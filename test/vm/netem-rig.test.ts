/**
 * netem on a real kernel (VM rig): first the impairment itself, measured with ping between two
 * namespaces; then the vehicle rig (test/rig/native-rig.ts: one ngtcp2 connection through 12
 * cell/Wi-Fi handoffs behind separate NATs, a NAT rebinding and a 180 s outage) with 40 ms
 * each way, 10 ms jitter (which also reorders), 2 % loss and 1 % duplication on both ends of
 * both uplinks. Every record must arrive exactly once over one handshake.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runInVm, type VmResult } from '../rig/vm/vm.js';

const NETEM = 'delay 40ms 10ms loss 2% duplicate 1%';
const OUTAGE_S = Number(process.env.RIG_OUTAGE_S ?? 180);

const script = String.raw`
set -e
ip netns add na; ip netns add nb
ip link add va netns na type veth peer name vb netns nb
ip -n na addr add 10.200.50.1/24 dev va; ip -n nb addr add 10.200.50.2/24 dev vb
ip -n na link set va up; ip -n nb link set vb up
ip netns exec na tc qdisc add dev va root netem ${NETEM}
ip netns exec nb tc qdisc add dev vb root netem ${NETEM}
ip netns exec na ping -q -c 300 -i 0.01 -W 2 10.200.50.2 >/tmp/ping.txt 2>&1 || true
echo "ping $(grep -E 'packets transmitted' /tmp/ping.txt)"
echo "rtt $(grep -E '^(rtt|round-trip)' /tmp/ping.txt)"
ip netns del na; ip netns del nb
unshare -nm --propagation private node --import tsx test/rig/native-rig.ts
`;

describe('netem on the VM rig', () => {
  let r: VmResult;
  let result: (Record<string, unknown> & { records: Record<string, number>; handoffs: { firstRecordMs: number }[]; outage: Record<string, number>; netem: { stats: string }[] }) | undefined;
  beforeAll(async () => {
    r = await runInVm(script, {
      memoryMb: 1024,
      // node, tsx and the QUIC stack start far slower under emulation than the rig's 30 s default
      env: { RIG_NETEM: NETEM, RIG_HANDOFFS: '12', RIG_OUTAGE_S: String(OUTAGE_S), RIG_START_MS: '240000' },
      timeoutMs: (OUTAGE_S + 720) * 1000,
    });
    process.stderr.write(`vm netem: boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel}\n`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"t":"result"'));
    if (line) {
      result = JSON.parse(line);
      process.stderr.write(`vm netem rig: ${line}\n`);
    }
  }, (OUTAGE_S + 750) * 1000);

  it('netem delays, drops and duplicates packets between two namespaces (ping)', () => {
    const ping = /(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?/.exec(r.stdout);
    expect(ping, r.stdout).not.toBeNull();
    const [sent, got, dups] = [Number(ping![1]), Number(ping![2]), Number(ping![3] ?? 0)];
    expect(sent).toBe(300);
    // 2 % loss each way: ~4 % of echoes lost; 1 % duplication each way: some duplicates
    expect(got).toBeLessThan(300);
    expect(got).toBeGreaterThan(260);
    expect(dups).toBeGreaterThan(0);
    const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(r.stdout);
    expect(rtt, r.stdout).not.toBeNull();
    expect(Number(rtt![2])).toBeGreaterThan(70); // avg: 2 x 40 ms
    expect(Number(rtt![4])).toBeGreaterThan(3); // mdev: the jitter
  });

  it('the vehicle rig under netem: one handshake, 12 handoffs, every record exactly once', () => {
    expect(result, `rig failed in the VM (exit ${r.code}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`).toBeDefined();
    if (!result) return;
    expect(r.code).toBe(0);
    expect(result.netem).toHaveLength(4);
    for (const q of result.netem) expect(q.stats).toContain('netem');
    expect(result.handshakes).toBe(1);
    expect(result.handoffs).toHaveLength(12);
    expect(result.serverPathChanges).toBeGreaterThanOrEqual(13);
    expect(result.outage.recordsDuringHole).toBe(0);
    expect(result.records.missing).toBe(0);
    expect(result.records.duplicates).toBe(0);
    expect(result.records.received).toBe(result.records.sent);
  });
});
