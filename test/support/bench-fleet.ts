/**
 * A simulated fleet for the link benchmarks: vehicles, each a DeviceLink with its own
 * spool that measures append-to-ack latency, joining in waves and sending one record
 * per second.
 */
import { readFileSync } from 'node:fs';
import type { DeviceLink } from '../../src/link/device.js';
import { encodeRecord } from '../../src/codec/index.js';
import { MemSpool } from './mem-spool.js';
import { waitFor } from './wait.js';

/** Datagrams the kernel dropped on the UDP socket bound to `port` (its own counter, /proc/net/udp{,6} last column). */
export function socketDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const l of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = l.trim().split(/\s+/);
      if (cols[1]?.endsWith(hex)) n += Number(cols[cols.length - 1]);
    }
  }
  return n;
}
/** The p-th percentile of xs (NaN when empty). */
export const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** A MemSpool that timestamps appends and measures append-to-ack latency. */
export class TimedSpool extends MemSpool {
  private t = new Map<number, number>();
  latencies: number[] = [];
  override append(payload: Uint8Array, timeMs: number): number {
    const seq = super.append(payload, timeMs);
    this.t.set(seq, performance.now());
    return seq;
  }
  override ack(seq: number): void {
    const now = performance.now();
    for (let s = this.ackedSeq + 1; s <= seq; s++) {
      const a = this.t.get(s);
      if (a !== undefined) this.latencies.push(now - a);
      this.t.delete(s);
    }
    super.ack(seq);
  }
}

export interface Vehicle {
  link: DeviceLink;
  spool: TimedSpool;
  timer: NodeJS.Timeout | null;
}
export type MkVehicle = (i: number, spool: TimedSpool) => Promise<DeviceLink>;

/**
 * Adds vehicles up to n in waves of `ramp`, each wave online before the next (a fleet
 * ramps up; thousands of handshakes at once are a reconnect storm, measured apart).
 * False if a wave was not online within 60 s.
 */
export async function grow(vs: Vehicle[], n: number, mk: MkVehicle, ramp: number): Promise<boolean> {
  for (let i = vs.length; i < n; ) {
    const wave = Math.min(n, i + ramp);
    for (; i < wave; i++) {
      const spool = new TimedSpool(`${(0x10000000 + i).toString(16)}aa`);
      const link = await mk(i, spool);
      link.start();
      vs.push({ link, spool, timer: null });
    }
    const ok = await waitFor(() => vs.every((v) => v.link.state === 'online'), 60_000, 'online').then(() => true, () => false);
    if (!ok) return false;
  }
  return true;
}

/** Where vehicle `i` (its index in the fleet) is at `timeMs`, in 1e-7 degrees. */
export type Place = (i: number, timeMs: number) => { lat7: number; lon7: number };

/** Every vehicle at one point (the link benchmarks measure the link, not the map). */
const ONE_POINT: Place = () => ({ lat7: 481_372_000, lon7: 115_755_000 });

/** One record per second from every vehicle not yet driving, phases spread over the second; `place` says where each one is. */
export function drive(vs: Vehicle[], place: Place = ONE_POINT): void {
  for (const [i, v] of vs.entries()) {
    if (v.timer) continue;
    setTimeout(() => {
      const tick = () => {
        const t = Date.now();
        v.spool.append(encodeRecord({ seq: v.spool.headSeq + 1, timeMs: t, ...place(i, t), altDm: 5200, speedCms: 1200, courseCdeg: 9000, mode: 3, sats: 9, hdopC: 90 }), t);
        v.link.notify();
      };
      tick();
      v.timer = setInterval(tick, 1000);
    }, Math.random() * 1000);
  }
}

export async function parkAll(vs: Vehicle[]): Promise<void> {
  for (const v of vs) if (v.timer) clearInterval(v.timer);
  await Promise.all(vs.map((v) => v.link.stop()));
}

