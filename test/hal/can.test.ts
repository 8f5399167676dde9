import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CanError, formatFrame, passesFilters, type CanBusState, type CanRxFrame } from '../../src/hal/can.js';
import { decodeErrorFrame } from '../../src/hal/can-error.js';
import { SimCanNetwork } from '../../src/hal/sim/can.js';
import { LinuxCan, kernelFilters } from '../../src/hal/linux/can.js';
import type { RawChannel, RawChannelCtor, RawMessage } from '../../src/hal/linux/can-addon.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('sim CAN bus', () => {
  it('delivers a written frame to the other ports, not back to the writer, with the clock as timestamp', async () => {
    const net = new SimCanNetwork(() => 1234);
    const a: CanRxFrame[] = [];
    const b: CanRxFrame[] = [];
    const pa = await net.open({ iface: 'can0', transmit: true }, { frame: (f) => a.push(f), error: () => undefined });
    await net.open({ iface: 'can0' }, { frame: (f) => b.push(f), error: () => undefined });
    await pa.write({ id: 0x18fef100, ext: true, data: Uint8Array.of(1, 2, 3) });
    await tick();
    expect(a).toEqual([]);
    expect(b).toEqual([{ id: 0x18fef100, ext: true, data: Uint8Array.of(1, 2, 3), tsMs: 1234 }]);
    expect(pa.stats().txFrames).toBe(1);
  });

  it('refuses to write on a listen-only port and names why', async () => {
    const net = new SimCanNetwork();
    const p = await net.open({ iface: 'can0' }, { frame: () => undefined, error: () => undefined });
    await expect(p.write({ id: 0x7df, ext: false, data: new Uint8Array(8) })).rejects.toMatchObject({ kind: 'listen-only' });
  });

  it('rejects frames that are not classic CAN', async () => {
    const net = new SimCanNetwork();
    const p = await net.open({ iface: 'can0', transmit: true }, { frame: () => undefined, error: () => undefined });
    await expect(p.write({ id: 0x800, ext: false, data: new Uint8Array(1) })).rejects.toThrow(/identifier 2048 out of range/);
    await expect(p.write({ id: 1, ext: false, data: new Uint8Array(9) })).rejects.toThrow(/9 data bytes/);
    expect(() => net.inject('can0', { id: 0x2000_0000, ext: true, data: new Uint8Array(0) })).toThrow(CanError);
  });

  it('applies filters and survives a throwing handler', async () => {
    const net = new SimCanNetwork();
    const got: number[] = [];
    const p = await net.open(
      { iface: 'can0', filters: [{ id: 0x7e8, mask: 0x7f8, ext: false }] },
      { frame: (f) => { got.push(f.id); if (f.id === 0x7e9) throw new Error('boom'); }, error: () => undefined },
    );
    for (const id of [0x7e8, 0x7e9, 0x7df, 0x7f0]) net.inject('can0', { id, ext: false, data: new Uint8Array(8) });
    net.inject('can0', { id: 0x7e8, ext: true, data: new Uint8Array(8) });
    await tick();
    expect(got).toEqual([0x7e8, 0x7e9]);
    expect(p.stats()).toMatchObject({ rxFrames: 2, handlerErrors: 1 });
  });

  it('reports bus-off, drops frames while off, resumes after restart; unplug kills the port once', async () => {
    const net = new SimCanNetwork();
    const states: CanBusState[] = [];
    const errors: CanError[] = [];
    let frames = 0;
    const p = await net.open({ iface: 'can0', transmit: true }, { frame: () => frames++, state: (s) => states.push(s), error: (e) => errors.push(e) });
    net.raiseState('can0', 'bus-off');
    net.inject('can0', { id: 1, ext: false, data: new Uint8Array(0) });
    await tick();
    await expect(p.write({ id: 2, ext: false, data: new Uint8Array(0) })).rejects.toMatchObject({ kind: 'io' });
    net.raiseState('can0', 'restarted');
    net.inject('can0', { id: 1, ext: false, data: new Uint8Array(0) });
    await tick();
    expect(frames).toBe(1);
    expect(states).toEqual(['bus-off', 'restarted']);
    net.unplug('can0');
    net.unplug('can0');
    expect(errors.map((e) => e.kind)).toEqual(['nodev']);
    expect(p.isOpen).toBe(false);
  });
});

describe('filters', () => {
  it('follows the kernel rule (id ^ frame) & mask == 0, kind only when given', () => {
    expect(passesFilters({ id: 0x18fef100, ext: true, data: new Uint8Array() }, [{ id: 0x00fef100, mask: 0x00ffff00 }])).toBe(true);
    expect(passesFilters({ id: 0x18fef200, ext: true, data: new Uint8Array() }, [{ id: 0x00fef100, mask: 0x00ffff00 }])).toBe(false);
    expect(passesFilters({ id: 0x7e8, ext: false, data: new Uint8Array() }, [])).toBe(true);
  });

  it('puts CAN_EFF_FLAG into kernel filters that name the kind, and matches all when empty', () => {
    expect(kernelFilters([])).toEqual([{ id: 0, mask: 0 }]);
    expect(kernelFilters([{ id: 0x7e8, mask: 0x7f8, ext: false }])).toEqual([{ id: 0x7e8, mask: 0x800007f8 }]);
    expect(kernelFilters([{ id: 0x00fef100, mask: 0x00ffff00, ext: true }])).toEqual([{ id: 0x80fef100, mask: 0x80ffff00 }]);
    expect(kernelFilters([{ id: 0x123, mask: 0x7ff }])).toEqual([{ id: 0x123, mask: 0x7ff }]);
  });

  it('formats frames like candump', () => {
    expect(formatFrame({ id: 0x18fef100, ext: true, data: Uint8Array.of(0xff, 0, 0x1a) })).toBe('18FEF100#FF001A');
    expect(formatFrame({ id: 0x7df, ext: false, data: Uint8Array.of(2, 1, 0) })).toBe('7DF#020100');
  });
});

describe('SocketCAN error frames', () => {
  const d = (...b: number[]) => Uint8Array.from([...b, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8));
  it.each([
    [0x040, d(), 'bus-off', 'bus-off'],
    [0x100, d(), 'restarted', 'restarted'],
    [0x004, d(0, 0x04), 'error-warning', 'controller: rx-warning'],
    [0x004, d(0, 0x20), 'error-passive', 'controller: tx-passive'],
    [0x004, d(0, 0x40), 'error-active', 'controller: active'],
    [0x004, d(0, 0x01), undefined, 'controller: rx-overflow'],
    [0x020, d(), undefined, 'no-ack'],
  ] as const)('class 0x%s', (bits, data, state, detail) => {
    const r = decodeErrorFrame(bits, data);
    expect(r.state).toBe(state);
    expect(r.detail).toBe(detail);
  });

  it('reads the error counters when the frame carries them', () => {
    expect(decodeErrorFrame(0x204, Uint8Array.of(0, 0x08, 0, 0, 0, 0, 97, 3))).toMatchObject({ state: 'error-warning', txErrors: 97, rxErrors: 3 });
  });
});

/** A stand-in for the addon's RawChannel (this machine has no can-raw module). */
class FakeChannel implements RawChannel {
  static last: FakeChannel | undefined;
  msg?: (m: RawMessage) => void;
  stopped?: () => void;
  filters: unknown[] = [];
  errMask = -1;
  sent: unknown[] = [];
  sendResult = 16;
  constructor(readonly iface: string, readonly ts: boolean, readonly proto: number, readonly nonBlock: boolean) {
    FakeChannel.last = this;
  }
  addListener(event: 'onMessage' | 'onStopped', cb: ((m: RawMessage) => void) | (() => void)): RawChannel {
    if (event === 'onMessage') this.msg = cb as (m: RawMessage) => void;
    else this.stopped = cb as () => void;
    return this;
  }
  start(): RawChannel { return this; }
  stop(): RawChannel { this.stopped?.(); return this; }
  send(m: unknown): number { this.sent.push(m); return this.sendResult; }
  setRxFilters(f: unknown[]): RawChannel { this.filters.push(f); return this; }
  setErrorFilters(mask: number): RawChannel { this.errMask = mask; return this; }
}

function sysfs(ifaces: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), 'gs-net-'));
  for (const [name, type] of Object.entries(ifaces)) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'type'), `${type}\n`);
  }
  return root;
}

describe('LinuxCan', () => {
  const ctor = () => FakeChannel as unknown as RawChannelCtor;

  it('names a missing interface and one that is not CAN before touching the addon', async () => {
    const can = new LinuxCan(sysfs({ eth0: 1 }), () => { throw new Error('addon must not load'); });
    await expect(can.open({ iface: 'can0' }, { frame: () => undefined, error: () => undefined })).rejects.toThrow(/can0: nodev: no such network interface .*dtoverlay=mcp2515-can0/);
    await expect(can.open({ iface: 'eth0' }, { frame: () => undefined, error: () => undefined })).rejects.toThrow(/eth0: notcan: interface type 1/);
    await expect(can.open({ iface: '../x' }, { frame: () => undefined, error: () => undefined })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('opens with kernel timestamps and non-blocking send, maps frames and error frames', async () => {
    const frames: CanRxFrame[] = [];
    const states: string[] = [];
    const p = await new LinuxCan(sysfs({ vcan0: 280 }), ctor).open(
      { iface: 'vcan0', filters: [{ id: 0x7e8, mask: 0x7f8, ext: false }] },
      { frame: (f) => frames.push(f), state: (s, d) => states.push(`${s}/${d}`), error: () => undefined },
    );
    const ch = FakeChannel.last!;
    expect([ch.iface, ch.ts, ch.proto, ch.nonBlock]).toEqual(['vcan0', true, 1, true]);
    expect(ch.filters).toEqual([[{ id: 0x7e8, mask: 0x800007f8 }]]);
    expect(ch.errMask).toBe(0x17f);
    ch.msg!({ id: 0x18fef100, ext: true, data: Buffer.from([1, 2]), ts_sec: 1_700_000_000, ts_usec: 250_500 });
    ch.msg!({ id: 0x040, err: true, data: Buffer.alloc(8) });
    expect(frames).toEqual([{ id: 0x18fef100, ext: true, data: Uint8Array.of(1, 2), tsMs: 1_700_000_000_250.5 }]);
    expect(states).toEqual(['bus-off/bus-off']);
    expect(p.stats()).toMatchObject({ rxFrames: 1, errorFrames: 1, busOff: 1 });
  });

  it('never transmits listen-only, reports a refused send, and a stopped socket once', async () => {
    const errors: CanError[] = [];
    const root = sysfs({ can0: 280 });
    const ro = await new LinuxCan(root, ctor).open({ iface: 'can0' }, { frame: () => undefined, error: (e) => errors.push(e) });
    await expect(ro.write({ id: 0x7df, ext: false, data: new Uint8Array(8) })).rejects.toMatchObject({ kind: 'listen-only' });
    expect(FakeChannel.last!.sent).toEqual([]);
    const rw = await new LinuxCan(root, ctor).open({ iface: 'can0', transmit: true }, { frame: () => undefined, error: (e) => errors.push(e) });
    const ch = FakeChannel.last!;
    await rw.write({ id: 0x7df, ext: false, data: Uint8Array.of(2, 1, 0) });
    expect(ch.sent).toEqual([{ id: 0x7df, ext: false, rtr: false, data: Buffer.from([2, 1, 0]) }]);
    ch.sendResult = -1;
    await expect(rw.write({ id: 0x7df, ext: false, data: new Uint8Array(1) })).rejects.toMatchObject({ kind: 'io' });
    ch.stopped!();
    ch.stopped!();
    expect(errors.map((e) => e.kind)).toEqual(['nodev']);
    expect(rw.isOpen).toBe(false);
  });

  it('catches a throwing handler instead of letting it reach the addon', async () => {
    const p = await new LinuxCan(sysfs({ can0: 280 }), ctor).open({ iface: 'can0' }, { frame: () => { throw new Error('x'); }, error: () => undefined });
    expect(() => FakeChannel.last!.msg!({ id: 1, data: Buffer.alloc(0) })).not.toThrow();
    expect(p.stats().handlerErrors).toBe(1);
  });

  it('close() silences the socket and is idempotent', async () => {
    const p = await new LinuxCan(sysfs({ can0: 280 }), ctor).open({ iface: 'can0' }, { frame: () => undefined, error: () => { throw new Error('no error after close'); } });
    const ch = FakeChannel.last!;
    await p.close();
    await p.close();
    expect(ch.filters.at(-1)).toEqual([{ id: 0, mask: 0, invert: true }]);
    expect(ch.errMask).toBe(0);
  });
});
