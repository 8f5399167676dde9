/**
 * Handoff benchmark rig: the vehicle topology (topology.ts) with an 80 ms RTT
 * (every forwarded packet held 40 ms by out/nfq-delay on the router: this kernel
 * has no netem), then handoff-device.ts measures QUIC vs TCP+TLS. Run inside
 * `unshare -nm --propagation private`; prints the device's JSON result line.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { makePki } from '../support/native-pki.js';
import { Proc, RTR, SRV, VEH, repo, setup, sh, teardown } from './topology.js';

const DELAY_MS = Number(process.env.RIG_DELAY_MS ?? 40);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the handoff rig needs root (or unshare -r)');
  const nfq = join(repo, 'out/nfq-delay');
  execFileSync('gcc', ['-O2', '-o', nfq, join(repo, 'test/rig/nfq-delay.c'), '-lnetfilter_queue']);
  const pki = await makePki('native-handoff-');
  await pki.device('VH-RIG');
  const env = { RIG_TLS_DIR: pki.dir };
  setup();
  const delay = spawn('ip', ['netns', 'exec', RTR, nfq, '1', String(DELAY_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      delay.stdout!.once('data', () => resolve());
      delay.once('exit', (c) => reject(new Error(`nfq-delay exited (${c})`)));
    });
    sh(`ip netns exec ${RTR} iptables -t mangle -A FORWARD -j NFQUEUE --queue-num 1 --queue-bypass`);
    const server = new Proc('server', SRV, 'test/rig/handoff-server.ts', env);
    await server.waitFor('server listening', (e) => e.t === 'listening', 30_000);
    const device = new Proc('device', VEH, 'test/rig/handoff-device.ts', env);
    const res = await device.waitFor('device result', (e) => e.t === 'result', 120_000);
    process.stdout.write(`${JSON.stringify(res)}\n`);
    device.child.kill('SIGKILL');
    server.child.kill('SIGKILL');
  } finally {
    delay.kill('SIGKILL');
    teardown();
    pki.cleanup();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
