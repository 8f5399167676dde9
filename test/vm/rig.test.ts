/**
 * The VM rig itself: one boot of Debian's kernel runs a script that checks the kernel and
 * the CAN stack (vcan, can-raw, can-isotp, can-j1939), each `it` reads its part of the
 * output. A host without the rig's packages, or without /dev/kvm, fails here with the
 * reason (kernel.ts), never skips.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../rig/vm/kernel.js';
import { runInVm, type VmResult } from '../rig/vm/vm.js';

const script = String.raw`
set -e
echo "kernel $(uname -r)"
echo "oops" >&2
ip link add vcan0 type vcan
ip link set vcan0 up
# can-raw: one classic frame through the real vcan driver
timeout 10 candump -n 1 -L vcan0 >/tmp/raw.txt & p=$!
sleep 0.3; cansend vcan0 18FEF100#0102030405060708; wait $p
echo "raw $(cut -d' ' -f3 /tmp/raw.txt)"
# can-isotp: 20 bytes need a first frame, flow control and consecutive frames
timeout 10 isotprecv -s 7E8 -d 7E0 vcan0 >/tmp/tp.txt & p=$!
sleep 0.3; echo 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 | isotpsend -s 7E0 -d 7E8 vcan0
wait $p || true
echo "isotp $(head -1 /tmp/tp.txt | sed 's/ *$//')"
# can-j1939: 1200 bytes from address 0x80 to 0x90 need the kernel's transport protocol
# (the sender's status is that of an error-queue read; the bytes received are the proof)
echo "j1939 $(grep -c '^can_j1939 ' /proc/modules)"
head -c 1200 /dev/urandom >/tmp/blob
timeout 10 j1939cat -r vcan0:0x90 >/tmp/j.out & p=$!
sleep 0.3; timeout 10 j1939cat -i /tmp/blob vcan0:0x80 :0x90 || true
sleep 0.5; kill $p 2>/dev/null || true
cmp -s /tmp/blob /tmp/j.out && echo "j1939tp same $(wc -c </tmp/j.out)" || echo "j1939tp differ $(wc -c </tmp/j.out)"
exit 3
`;

describe('VM rig', () => {
  let r: VmResult;
  beforeAll(async () => {
    r = await runInVm(script, { modules: ['vcan', 'can-raw', 'can-isotp', 'can-j1939'], timeoutMs: 180_000 });
    process.stderr.write(`vm rig: boot ${r.bootMs} ms, wall ${r.wallMs} ms, ${r.accel} (${r.accelReason})\n`);
  }, 200_000);
  const line = (k: string): string => r.stdout.split('\n').find((l) => l.startsWith(`${k} `))?.slice(k.length + 1) ?? `(no ${k} line; stdout ${r.stdout}, stderr ${r.stderr})`;

  it('runs the script under the Debian kernel and returns its stdout, stderr and exit code', () => {
    expect(line('kernel')).toBe(findKernel().version);
    expect(r.stderr).toContain('oops');
    expect(r.code).toBe(3);
    expect(r.bootMs).toBeGreaterThan(0);
  });

  it('passes a CAN frame through vcan with can-raw', () => {
    expect(line('raw')).toBe('18FEF100#0102030405060708');
  });

  it('segments and reassembles a 20-byte ISO-TP message with can-isotp', () => {
    expect(line('isotp')).toBe('01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14');
  });

  it('moves 1200 bytes between two J1939 addresses with can-j1939 (transport protocol)', () => {
    expect(line('j1939')).toBe('1');
    expect(line('j1939tp')).toBe('same 1200');
  });
});
