/**
 * The vehicle rig for the ngtcp2 engine. Run it
 * as root inside a fresh network+mount namespace so everything vanishes with it:
 *
 *   unshare -nm --propagation private node --import tsx test/rig/native-rig.ts
 *
 * Topology: vehicle ns gsn-veh with cell0 (10.200.1.2) and wlan0 (10.200.2.2), each
 * to router ns gsn-rtr which NATs them to different addresses (10.200.9.11 / .12)
 * toward the server ns gsn-srv (10.200.9.2). One device process, one server process,
 * ONE connection for the whole run:
 *   - RIG_HANDOFFS cell <-> Wi-Fi handoffs (cell0 down / up + default route back);
 *   - a NAT rebinding (the cell NAT's source port changes under the device);
 *   - a RIG_OUTAGE_S black hole on every uplink;
 *   - with RIG_NETEM (a netem spec such as "delay 40ms 10ms loss 2% duplicate 1%"; needs a kernel
 *     with sch_netem, e.g. the VM rig), that impairment on both ends of both uplinks, so
 *     everything above happens under real loss, jitter, reordering and duplication.
 * Prints one JSON result line (t: 'result') at the end; exits non-zero on failure.
 */
import { makePki } from '../support/native-pki.js';
import { CELL_NAT, Proc, RTR, SRV, VEH, WLAN_NAT, natRules, setup, sh, teardown, type Ev } from './topology.js';

const HANDOFFS = Number(process.env.RIG_HANDOFFS ?? 12);
const OUTAGE_S = Number(process.env.RIG_OUTAGE_S ?? 180);
const IDLE_MS = Number(process.env.RIG_IDLE_MS ?? 190_000);
const DWELL_MS = Number(process.env.RIG_DWELL_MS ?? 1500);
const NETEM = process.env.RIG_NETEM ?? '';
/** How long the server and the device may take to start (longer under emulation, e.g. the VM rig). */
const START_MS = Number(process.env.RIG_START_MS ?? 30_000);
const NETEM_LINKS: [string, string][] = [[VEH, 'cell0'], [VEH, 'wlan0'], [RTR, 'cell0-r'], [RTR, 'wlan0-r']];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const recVia = (host: string) => (e: Ev): boolean => e.t === 'rec' && String(e.remote).startsWith(`${host}:`);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the rig needs root (or unshare -r) for network namespaces, NAT and routes');
  const pki = await makePki('native-rig-');
  await pki.device('VH-RIG');
  const env = { RIG_TLS_DIR: pki.dir, RIG_HOST: '10.200.9.2', RIG_PORT: '4433', RIG_IDLE_MS: String(IDLE_MS), RIG_RECORD_MS: '100' };
  setup();
  for (const [ns, dev] of NETEM ? NETEM_LINKS : []) sh(`ip netns exec ${ns} tc qdisc add dev ${dev} root netem ${NETEM}`);
  const server = new Proc('server', SRV, 'test/rig/native-server.ts', process.env.RIG_DEBUG_SERVER ? { ...env, GEOSTREAM_NGTCP2_DEBUG: '1' } : env);
  let device: Proc | null = null;
  try {
    await server.waitFor('server listening', (e) => e.t === 'listening', START_MS);
    device = new Proc('device', VEH, 'test/rig/native-device.ts', env);
    await device.waitFor('device connected', (e) => e.t === 'connected', START_MS);
    await server.waitFor('records via cell', recVia(CELL_NAT), 10_000);

    const handoffs: { to: string; firstRecordMs: number }[] = [];
    let onCell = true;
    for (let i = 0; i < HANDOFFS; i++) {
      await sleep(DWELL_MS);
      const t0 = Date.now();
      if (onCell) sh(`ip -n ${VEH} link set cell0 down`);
      else sh(`ip -n ${VEH} link set cell0 up && ip -n ${VEH} route replace default via 10.200.1.1 dev cell0 metric 100`);
      onCell = !onCell;
      const nat = onCell ? CELL_NAT : WLAN_NAT;
      const e = await server.waitFor(`first record via ${nat} after handoff ${i + 1}`, recVia(nat), 15_000, t0);
      handoffs.push({ to: onCell ? 'cell' : 'wlan', firstRecordMs: e.at - t0 });
    }
    if (!onCell) {
      sh(`ip -n ${VEH} link set cell0 up && ip -n ${VEH} route replace default via 10.200.1.1 dev cell0 metric 100`);
      await server.waitFor('back on cell', recVia(CELL_NAT), 15_000, Date.now());
    }

    // NAT rebinding: the cell NAT moves the device to source port 50000.
    await sleep(DWELL_MS);
    const tr = Date.now();
    natRules(50000);
    sh(`ip netns exec ${RTR} conntrack -D -p udp >/dev/null 2>&1 || true`);
    const rb = await server.waitFor('record after NAT rebinding', (e) => e.t === 'rec' && e.remote === `${CELL_NAT}:50000`, 15_000, tr);
    const rebindMs = rb.at - tr;

    // Black hole on every uplink.
    await sleep(DWELL_MS);
    sh(`ip netns exec ${RTR} nft add rule inet gsnblk hole iifname '{ "cell0-r", "wlan0-r" }' drop`);
    sh(`ip netns exec ${RTR} nft add rule inet gsnblk hole oifname '{ "cell0-r", "wlan0-r" }' drop`);
    const holeAt = Date.now();
    await sleep(OUTAGE_S * 1000);
    // The hole opens somewhere inside the flush command. On a loaded machine the command can
    // return hundreds of milliseconds after nft committed, and by then the device's probe and
    // the backlog it held may already be through: the hole is judged up to the command's start,
    // the recovery from its return (the first record may precede that: recoveryMs < 0).
    const opening = Date.now();
    sh(`ip netns exec ${RTR} nft flush chain inet gsnblk hole`);
    const back = Date.now();
    const first = await server.waitFor('first record after the outage', (e) => e.t === 'rec', 30_000, opening);
    const recoveryMs = first.at - back;
    // The connection must really have been black-holed: nothing arrived during the hole.
    const during = server.events.filter((e) => e.t === 'rec' && e.at > holeAt + 500 && e.at < opening).length;

    await sleep(3000);
    device.child.kill('SIGTERM');
    const fin = await device.waitFor('device final', (e) => e.t === 'final', 60_000);
    const sent = Number(fin.sent);
    await server.waitFor('every record', () => server.events.filter((x) => x.t === 'rec').length >= sent, 30_000).catch(() => undefined);
    server.child.kill('SIGTERM');
    const stats = await server.waitFor('server stats', (e) => e.t === 'stats', 10_000);
    const seqs = server.events.filter((e) => e.t === 'rec').map((e) => Number(e.seq));
    const counts = new Map<number, number>();
    for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
    const missing: number[] = [];
    for (let s = 1; s <= sent; s++) if (!counts.has(s)) missing.push(s);
    const dups = [...counts.values()].filter((c) => c > 1).length;
    const netem = NETEM_LINKS.filter(() => NETEM).map(([ns, dev]) => ({ ns, dev, stats: sh(`ip netns exec ${ns} tc -s qdisc show dev ${dev}`).replace(/\s+/g, ' ').trim() }));
    const result = {
      t: 'result',
      netem,
      handshakes: stats.handshakes,
      serverPathChanges: stats.pathChanges,
      engineStats: stats.engine,
      devicePathChanges: server.events.length ? device.events.filter((e) => e.t === 'path').length : 0,
      handoffs,
      rebindMs,
      outage: { seconds: OUTAGE_S, idleTimeoutMs: IDLE_MS, openCommandMs: back - opening, recoveryMs, recordsDuringHole: during },
      records: { sent, received: seqs.length, missing: missing.length, firstMissing: missing.slice(0, 5), duplicates: dups },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    device?.child.kill('SIGKILL');
    server.child.kill('SIGKILL');
    teardown();
    pki.cleanup();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
