/**
 * The namespace topology of the vehicle rigs:
 * vehicle ns gsn-veh with cell0 (10.200.1.2) and wlan0 (10.200.2.2) to router ns
 * gsn-rtr, which NATs each uplink to its own address (10.200.9.11 / .12) toward
 * the server ns gsn-srv (10.200.9.2). Plus the child-process helper the rigs use.
 * Callers run inside `unshare -nm` so everything vanishes with them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
/** Namespace names (files in /run/netns are shared across mount namespaces: one prefix per rig). */
const PREFIX = process.env.RIG_NS_PREFIX ?? 'gsn';
export const VEH = `${PREFIX}-veh`;
export const RTR = `${PREFIX}-rtr`;
export const SRV = `${PREFIX}-srv`;
export const CELL_NAT = '10.200.9.11';
export const WLAN_NAT = '10.200.9.12';

export type Ev = Record<string, unknown> & { t: string; at: number };

export function sh(cmd: string): string {
  try {
    return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`rig command failed: ${cmd}\n${err.stderr ?? err.message}`, { cause: e });
  }
}

export function setup(): void {
  for (const ns of [VEH, RTR, SRV]) sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
  sh(`ip link add cell0 netns ${VEH} type veth peer name cell0-r netns ${RTR}`);
  sh(`ip link add wlan0 netns ${VEH} type veth peer name wlan0-r netns ${RTR}`);
  sh(`ip link add srv0 netns ${SRV} type veth peer name srv-r netns ${RTR}`);
  sh(`ip -n ${VEH} addr add 10.200.1.2/24 dev cell0 && ip -n ${VEH} addr add 10.200.2.2/24 dev wlan0`);
  sh(`ip -n ${RTR} addr add 10.200.1.1/24 dev cell0-r && ip -n ${RTR} addr add 10.200.2.1/24 dev wlan0-r`);
  sh(`ip -n ${RTR} addr add 10.200.9.1/24 dev srv-r && ip -n ${RTR} addr add ${CELL_NAT}/24 dev srv-r && ip -n ${RTR} addr add ${WLAN_NAT}/24 dev srv-r`);
  sh(`ip -n ${SRV} addr add 10.200.9.2/24 dev srv0`);
  for (const [ns, dev] of [[VEH, 'cell0'], [VEH, 'wlan0'], [RTR, 'cell0-r'], [RTR, 'wlan0-r'], [RTR, 'srv-r'], [SRV, 'srv0']]) sh(`ip -n ${ns} link set ${dev} up`);
  sh(`ip netns exec ${RTR} sysctl -qw net.ipv4.ip_forward=1`);
  sh(`ip -n ${VEH} route add default via 10.200.1.1 dev cell0 metric 100`);
  sh(`ip -n ${VEH} route add default via 10.200.2.1 dev wlan0 metric 200`);
  natRules();
  sh(`ip netns exec ${RTR} nft add table inet gsnblk`);
  sh(`ip netns exec ${RTR} nft add chain inet gsnblk hole '{ type filter hook forward priority 0; }'`);
}

/** Router NAT: each uplink to its own address; `cellUdpPort` pins the cell NAT's UDP source port (a rebinding). */
export function natRules(cellUdpPort?: number): void {
  sh(`ip netns exec ${RTR} nft delete table ip gsnnat 2>/dev/null || true`);
  sh(`ip netns exec ${RTR} nft add table ip gsnnat`);
  sh(`ip netns exec ${RTR} nft add chain ip gsnnat post '{ type nat hook postrouting priority 100; }'`);
  if (cellUdpPort) sh(`ip netns exec ${RTR} nft add rule ip gsnnat post iifname cell0-r oifname srv-r meta l4proto udp snat to ${CELL_NAT}:${cellUdpPort}`);
  sh(`ip netns exec ${RTR} nft add rule ip gsnnat post iifname cell0-r oifname srv-r snat to ${CELL_NAT}`);
  sh(`ip netns exec ${RTR} nft add rule ip gsnnat post iifname wlan0-r oifname srv-r snat to ${WLAN_NAT}`);
}

export class Proc {
  readonly events: Ev[] = [];
  readonly child: ChildProcess;
  constructor(
    readonly name: string,
    ns: string,
    script: string,
    env: Record<string, string>,
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.events.push(JSON.parse(l) as Ev);
      } catch {
        process.stderr.write(`${name}: ${l}\n`);
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (l) => process.stderr.write(`${name}! ${l}\n`));
  }
  async waitFor(what: string, pred: (e: Ev) => boolean, timeoutMs: number, since = 0): Promise<Ev> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.at >= since && pred(x));
      if (e) return e;
      const fatal = this.events.find((x) => x.t === 'fatal' || x.t === 'close');
      if (fatal) throw new Error(`${this.name} failed while waiting for ${what}: ${JSON.stringify(fatal)}`);
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) while waiting for ${what}`);
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}


export function teardown(): void {
  for (const ns of [VEH, RTR, SRV]) {
    try {
      sh(`ip netns del ${ns}`);
    } catch {
      /* already gone */
    }
  }
}
