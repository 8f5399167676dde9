import { describe, expect, it } from 'vitest';
import type { CanFrame, CanRxFrame } from '../../src/hal/can.js';
import { IsoTpReceiver, segment } from '../../src/vehicle/obd/isotp.js';
import { bitmapPids, decodeMode01, decodeMode03, decodeVin, dtcCode } from '../../src/vehicle/obd/pids.js';
import { ObdPoller, type ObdEvent, type ObdPollerOptions } from '../../src/vehicle/obd/poller.js';
import { SimObdEcu, type SimEcuOptions } from '../../src/vehicle/sim/obd-ecu.js';

const VIN = 'WVWZZZ1JZXW000001';
const CAR: SimEcuOptions = {
  pids: {
    0x05: () => [0x7b],
    0x0c: () => [0x1a, 0xf8],
    0x0d: () => [0x3c],
    0x2f: () => [0x80],
    0x5e: () => [0x01, 0x2c],
    0xa6: () => [0x00, 0x01, 0xe2, 0x40],
  },
  dtcs: [[0x01, 0x43], [0xc1, 0x23]],
  vin: VIN,
};

interface Sent { at: number; id: number; data: number[] }

/**
 * Runs a poller against simulated ECUs on a virtual clock: a frame takes 1 ms on the bus,
 * an ECU answers `latencyMs` later. Deterministic: no timers, no real time.
 */
class Rig {
  now = 0;
  readonly sent: Sent[] = [];
  readonly events: (ObdEvent & { at: number })[] = [];
  private queue: { at: number; frame: CanFrame; toEcu: boolean }[] = [];
  /** When each ECU frame reached the poller. */
  readonly rxAt: number[] = [];

  constructor(readonly poller: ObdPoller, readonly ecus: SimObdEcu[], readonly latencyMs = 5) {}

  run(untilMs: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const wake = this.poller.nextWakeMs();
      const nextQ = this.queue.length ? Math.min(...this.queue.map((q) => q.at)) : Infinity;
      const at = Math.min(wake ?? Infinity, nextQ);
      if (at > untilMs) {
        this.now = untilMs;
        return;
      }
      this.now = Math.max(this.now, at);
      const ready = this.queue.filter((q) => q.at <= this.now);
      this.queue = this.queue.filter((q) => q.at > this.now);
      for (const q of ready) {
        if (q.toEcu) {
          for (const e of this.ecus) for (const r of e.receive(q.frame, this.now)) this.queue.push({ at: this.now + this.latencyMs, frame: r, toEcu: false });
        } else {
          const rx: CanRxFrame = { ...q.frame, tsMs: this.now };
          this.rxAt.push(this.now);
          for (const ev of this.poller.onFrame(rx)) this.events.push({ ...ev, at: this.now });
        }
      }
      const w = this.poller.nextWakeMs();
      if (w !== null && w <= this.now) {
        const { send, events } = this.poller.step(this.now);
        for (const ev of events) this.events.push({ ...ev, at: this.now });
        for (const f of send) {
          this.sent.push({ at: this.now, id: f.id, data: [...f.data] });
          this.queue.push({ at: this.now + 1, frame: f, toEcu: true });
        }
      }
    }
    throw new Error('rig did not settle');
  }

  requests(): string[] {
    return this.sent.filter((s) => s.id === 0x7df).map((s) => Buffer.from(s.data.slice(1, 1 + s.data[0]!)).toString('hex'));
  }
}

function rig(ecu: SimEcuOptions | SimObdEcu[] = CAR, opts: ObdPollerOptions = {}) {
  const ecus = Array.isArray(ecu) ? ecu : [new SimObdEcu(ecu)];
  const r = new Rig(new ObdPoller(opts), ecus);
  r.poller.setIgnition(true, 0);
  return r;
}

describe('OBD-II decoding (SAE J1979), byte-exact', () => {
  it('mode 01 PIDs', () => {
    const d = (...b: number[]) => decodeMode01(Uint8Array.from(b))!.values;
    expect(d(0x41, 0x0c, 0x1a, 0xf8)).toEqual({ engineRpm: 1726 });
    expect(d(0x41, 0x0d, 0x3c)).toEqual({ speedKmh: 60 });
    expect(d(0x41, 0x05, 0x00)).toEqual({ coolantC: -40 });
    expect(d(0x41, 0x2f, 0xff)).toEqual({ fuelLevelPct: 100 });
    expect(d(0x41, 0x5e, 0x01, 0x2c)).toEqual({ fuelRateLph: 15 });
    expect(d(0x41, 0xa6, 0x00, 0x01, 0xe2, 0x40)).toEqual({ totalDistanceKm: 12345.6 });
    expect(decodeMode01(Uint8Array.of(0x41, 0x0c, 0x1a))).toBeNull();
  });

  it('supported-PID bitmaps: bit 7 of the first byte is PID base+1', () => {
    expect(bitmapPids(0x00, Uint8Array.of(0x98, 0x3b, 0x80, 0x13))).toEqual([0x01, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0f, 0x10, 0x11, 0x1c, 0x1f, 0x20]);
    expect(bitmapPids(0xa0, Uint8Array.of(0x04, 0, 0, 0))).toEqual([0xa6]);
  });

  it('mode 03 codes and mode 09 VIN', () => {
    expect(dtcCode(0x01, 0x43)).toBe('P0143');
    expect(dtcCode(0xc1, 0x23)).toBe('U0123');
    expect(dtcCode(0x81, 0x00)).toBe('B0100');
    expect(dtcCode(0x7a, 0xbc)).toBe('C3ABC');
    expect(decodeMode03(Uint8Array.of(0x43, 3, 0x01, 0x43, 0, 0, 0xc1, 0x23))).toEqual([{ code: 'P0143' }, { code: 'U0123' }]);
    expect(decodeMode03(Uint8Array.of(0x43, 2, 0x01))).toBeNull();
    expect(decodeVin(Uint8Array.from([0x49, 0x02, 0x01, ...Buffer.from(VIN)]))).toBe(VIN);
    expect(decodeVin(Uint8Array.from([0x49, 0x02, 0x01, 0x00, 0x00, 0x41, 0x0a]))).toBeNull();
  });
});

describe('ISO-TP', () => {
  it('segments and reassembles every length class', () => {
    for (const n of [1, 7, 8, 13, 14, 20, 111, 4095]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
      const rx = new IsoTpReceiver();
      const results = segment(payload).map((f) => rx.push(f, 0));
      expect(results.at(-1)).toEqual({ kind: 'message', payload });
    }
  });

  it('drops a message whose consecutive frame is out of order or late', () => {
    const frames = segment(new Uint8Array(20));
    const rx = new IsoTpReceiver();
    rx.push(frames[0]!, 0);
    expect(rx.push(frames[2]!, 1)).toMatchObject({ kind: 'bad', why: 'consecutive frame 2, expected 1' });
    rx.push(frames[0]!, 0);
    expect(rx.push(frames[1]!, 1001)).toMatchObject({ kind: 'bad', why: 'consecutive frame after N_Cr' });
    expect(rx.push(Uint8Array.of(0x10, 0x05, 1, 2, 3, 4, 5, 6), 0)).toMatchObject({ kind: 'bad' });
  });
});

describe('OBD-II polling against a simulated ECU (virtual clock)', () => {
  it('asks the bitmaps first, then the VIN, the DTCs and the PIDs; decodes them all', () => {
    const r = rig();
    r.run(3000);
    expect(r.requests().slice(0, 9)).toEqual(['0100', '0120', '0140', '0160', '0180', '01a0', '0902', '03', '010c']);
    expect(r.poller.supportedPids()).toEqual([0x05, 0x0c, 0x0d, 0x20, 0x2f, 0x40, 0x5e, 0x60, 0x80, 0xa0, 0xa6]);
    const vin = r.events.find((e) => e.kind === 'vin');
    expect(vin).toMatchObject({ vin: VIN, ecu: 0x7e8 });
    // The VIN comes in three frames: the poller sent flow control to 0x7E0.
    expect(r.sent.filter((s) => s.id === 0x7e0).map((s) => s.data)).toEqual([[0x30, 0, 5, 0, 0, 0, 0, 0]]);
    expect(r.events.find((e) => e.kind === 'dtcs')).toMatchObject({ dtcs: [{ code: 'P0143' }, { code: 'U0123' }] });
    const values = Object.assign({}, ...r.events.filter((e) => e.kind === 'values').map((e) => (e.kind === 'values' ? e.values : {})));
    expect(values).toEqual({ engineRpm: 1726, speedKmh: 60, coolantC: 83, fuelLevelPct: 50.2, fuelRateLph: 15, totalDistanceKm: 12345.6 });
  });

  it('keeps one request in flight and each PID at its rate', () => {
    const r = rig();
    r.run(60_500);
    const reqs = r.sent.filter((s) => s.id === 0x7df);
    // Every request goes out after an answer to the one before (the ECU always answers here).
    for (let i = 1; i < reqs.length; i++) expect(r.rxAt.some((a) => a > reqs[i - 1]!.at && a <= reqs[i]!.at)).toBe(true);
    const count = (pid: string) => r.requests().filter((q) => q === pid).length;
    expect(count('010c')).toBeGreaterThanOrEqual(59);
    expect(count('010c')).toBeLessThanOrEqual(61);
    expect(count('015e')).toBeGreaterThanOrEqual(29);
    expect(count('015e')).toBeLessThanOrEqual(31);
    expect(count('0105')).toBe(7);
    expect(count('012f')).toBe(3);
    expect(count('01a6')).toBe(2);
    expect(count('03')).toBe(2);
    expect(count('0902')).toBe(1);
  });

  it('backs off, doubling, while the ECU is silent, and resumes when it answers', () => {
    const ecu = new SimObdEcu(CAR);
    ecu.silent = true;
    const r = rig([ecu]);
    r.run(30_000);
    const silent = r.events.filter((e) => e.kind === 'silent').map((e) => (e.kind === 'silent' ? e.backoffMs : 0));
    expect(silent.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(r.requests().length).toBeLessThan(20);
    expect(new Set(r.requests())).toEqual(new Set(['0100']));
    ecu.silent = false;
    r.run(60_000);
    expect(r.events.some((e) => e.kind === 'values')).toBe(true);
  });

  it('sends nothing with the ignition off; on again reads the VIN again', () => {
    const r = rig();
    r.run(5000);
    r.poller.setIgnition(false, 5000);
    const before = r.sent.length;
    r.run(20_000);
    expect(r.sent.length).toBe(before);
    expect(r.poller.nextWakeMs()).toBeNull();
    r.poller.setIgnition(true, 20_000);
    r.run(23_000);
    expect(r.events.filter((e) => e.kind === 'vin')).toHaveLength(2);
  });

  it('waits out "response pending" and stops asking for a PID the ECU refuses', () => {
    const ecu = new SimObdEcu({ ...CAR, pendingFor: [0x09], pids: { ...CAR.pids } });
    const r = rig([ecu]);
    r.run(1000);
    expect(r.events.find((e) => e.kind === 'vin')).toMatchObject({ vin: VIN });
    expect(r.events.filter((e) => e.kind === 'refused')).toEqual([]);
    expect(r.requests().filter((q) => q === '0902')).toHaveLength(1);
    delete (ecu as unknown as { o: SimEcuOptions }).o.pids[0x0d];
    r.run(10_000);
    expect(r.events.find((e) => e.kind === 'refused')).toMatchObject({ service: 1, pid: 0x0d, code: 0x31 });
    const after = r.sent.filter((s) => s.at > r.events.find((e) => e.kind === 'refused')!.at).map((s) => s.data.slice(1, 3).join(','));
    expect(after).not.toContain('1,13');
  });

  it('takes answers from two ECUs and merges their bitmaps', () => {
    const tcm = new SimObdEcu({ id: 0x7e9, pids: { 0x0d: () => [0x3d] } });
    const r = rig([new SimObdEcu(CAR), tcm]);
    r.run(3000);
    const speeds = r.events.filter((e) => e.kind === 'values' && e.pid === 0x0d).map((e) => (e.kind === 'values' ? [e.ecu, e.values.speedKmh] : []));
    expect(speeds).toContainEqual([0x7e8, 60]);
    expect(speeds).toContainEqual([0x7e9, 61]);
  });
});
