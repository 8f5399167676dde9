import { describe, expect, it } from 'vitest';
import { MemSpool } from '../support/mem-spool.js';
import { CloseCode } from '../../src/protocol/close-codes.js';
import { DeviceCore, MAX_INFLIGHT_BYTES, type DeviceOutput } from '../../src/protocol/device-core.js';
import { FrameType, type Frame, type PushedConfig } from '../../src/protocol/messages.js';
import { decodePayload, encodeFrame } from '../../src/protocol/wire.js';
import { encodeWire } from '../../src/protocol/frames-cbor.js';
import { FrameReader } from '../../src/protocol/reader.js';

/**
 * A DeviceCore against a server that is buggy or malicious: every frame below is
 * one such a server could send. The device must name what was wrong, close with
 * the right code, back off, and never ack (lose) a record the server did not get.
 */
const cfg: PushedConfig = { batchRecords: 16, batchBytes: 64 * 1024, windowRecords: 16 };

class Rig {
  now = 0;
  readonly spool = new MemSpool();
  readonly device = new DeviceCore({ device: 'truck-1', firmware: 't', schema: 1, spool: this.spool, random: () => 0.5 });
  readonly outs: DeviceOutput[] = [];
  gen = 0;

  constructor(records: number) {
    for (let i = 0; i < records; i++) this.spool.append(new Uint8Array(20), i);
  }
  apply(o: DeviceOutput[]): DeviceOutput[] {
    for (const x of o) {
      if (x.kind === 'connect') this.gen = x.gen;
      if (x.kind === 'ack') this.spool.ack(x.seq);
    }
    this.outs.push(...o);
    return o;
  }
  /** Connects and feeds `welcome` (default: a well-formed one). */
  online(welcome: Partial<Extract<Frame, { type: 'WELCOME' }>> = {}): DeviceOutput[] {
    this.apply(this.device.start(this.now));
    this.apply(this.device.connected(this.now, this.gen));
    return this.feed({ type: 'WELCOME', time: 1_700_000_000_000, spool: this.spool.spoolId, high: 0, stored: [], config: cfg, ...welcome });
  }
  feed(f: Frame | Uint8Array): DeviceOutput[] {
    return this.apply(this.device.control(this.now, this.gen, f instanceof Uint8Array ? f : encodeFrame(f)));
  }
  /** Waits out the backoff, reconnects and reads a well-formed WELCOME; returns the delay waited. */
  retry(): number {
    const at = this.device.nextTimeout()!;
    const delay = at - this.now;
    this.now = at;
    this.apply(this.device.tick(this.now));
    this.apply(this.device.connected(this.now, this.gen));
    this.feed({ type: 'WELCOME', time: 0, spool: this.spool.spoolId, high: 0, stored: [], config: cfg });
    return delay;
  }
  sentRecords(): number {
    return this.outs.reduce((n, o) => n + (o.kind === 'send' && o.stream !== 'control' ? o.records : 0), 0);
  }
  lastClose(): Extract<DeviceOutput, { kind: 'close' }> | undefined {
    return this.outs.filter((o): o is Extract<DeviceOutput, { kind: 'close' }> => o.kind === 'close').at(-1);
  }
}

/** A frame with a hand-made CBOR payload (fields our encoder would never write). */
function raw(type: number, payload: unknown): Uint8Array {
  const body = encodeWire(payload as never);
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

describe('ACK from a hostile server', () => {
  it('an ACK covering backlog records not sent yet is refused and acks nothing', () => {
    const r = new Rig(1000);
    r.online();
    expect(r.sentRecords()).toBe(16); // the backlog window
    r.feed({ type: 'ACK', ranges: [[1, 1000]] });
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: 'ACK for seq 17, never sent (backlog sent up to 16)' });
    expect(r.spool.ackedSeq).toBe(0);
    expect(r.device.state).toBe('backoff');
  });

  it('an ACK beyond the live head is refused (seq 2^53 - 1 included)', () => {
    const r = new Rig(5);
    r.online();
    r.feed({ type: 'ACK', ranges: [[1, Number.MAX_SAFE_INTEGER]] });
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: expect.stringContaining(`ACK for seq ${Number.MAX_SAFE_INTEGER}, never sent`) });
    expect(r.spool.ackedSeq).toBe(0);
  });

  it('ACKs repeating seqs already acked are not progress: the window and the liveness check hold', () => {
    const r = new Rig(1000);
    r.online();
    r.feed({ type: 'ACK', ranges: [[1, 16]] });
    expect(r.spool.ackedSeq).toBe(16);
    expect(r.sentRecords()).toBe(32);
    for (let i = 0; i < 20; i++) {
      r.now += 1000;
      r.feed({ type: 'ACK', ranges: [[1, 16]] });
      r.apply(r.device.tick(r.now));
    }
    expect(r.sentRecords()).toBe(32);
    expect(r.lastClose()).toMatchObject({ code: CloseCode.liveness });
    expect(r.spool.ackedSeq).toBe(16);
  });

  it('an ACK going backwards (below the cumulative ack) changes nothing and is not an error', () => {
    const r = new Rig(40);
    r.online();
    r.feed({ type: 'ACK', ranges: [[1, 16]] });
    r.feed({ type: 'ACK', ranges: [[3, 4]] });
    expect(r.lastClose()).toBeUndefined();
    expect(r.device.inflight).toBe(16);
    expect(r.spool.ackedSeq).toBe(16);
  });

  it('an ACK with more ranges than the limit is refused as too-large before it is applied', () => {
    const r = new Rig(10);
    r.online();
    const ranges = Array.from({ length: 4097 }, (_, i) => [2 * i + 1, 2 * i + 1]);
    r.feed(raw(FrameType.ACK, ranges));
    expect(r.lastClose()).toMatchObject({ code: CloseCode.tooLarge, reason: "ACK: 'ranges' has 4097 ranges, limit 4096" });
    expect(r.spool.ackedSeq).toBe(0);
  });
});

describe('WELCOME from a hostile server', () => {
  it('stored ranges beyond the head the device sent in HELLO are refused naming the field', () => {
    const r = new Rig(10);
    r.online({ stored: [[5, 20]] });
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: "WELCOME: 'stored' range [5, 20] goes beyond our head 10" });
    expect(r.spool.ackedSeq).toBe(0);
    expect(r.device.state).toBe('backoff');
  });

  it('stored ranges out of order or overlapping are refused naming the field', () => {
    for (const stored of [[[5, 6], [1, 2]], [[1, 5], [4, 8]], [[3, 2]], [[0, 2]]]) {
      const rr = new Rig(10);
      rr.apply(rr.device.start(0));
      rr.apply(rr.device.connected(0, rr.gen));
      rr.feed(raw(FrameType.WELCOME, { time: 0, spool: rr.spool.spoolId, high: 0, stored, config: cfg }));
      expect(rr.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: expect.stringMatching(/^WELCOME: 'stored\[\d\]' must be ascending, disjoint ranges/) });
      expect(rr.spool.ackedSeq).toBe(0);
    }
  });

  it('stored ranges at or below the cumulative ack are harmless and the held seqs are not resent', () => {
    const r = new Rig(10);
    r.online({ stored: [[1, 4], [8, 9]] });
    expect(r.lastClose()).toBeUndefined();
    expect(r.spool.ackedSeq).toBe(4);
    expect(r.sentRecords()).toBe(4); // 5, 6, 7, 10
  });

  it('a time outside what a Date can hold is refused naming the field', () => {
    const r = new Rig(1);
    r.online({ time: 8.64e15 + 1 });
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: expect.stringMatching(/^WELCOME: 'time' must be/) });
    expect(() => decodePayload(FrameType.WELCOME, encodeWire({ time: 8.64e15, spool: 'a1b2c3d4e5f60718', high: 0, stored: [], config: cfg } as never))).not.toThrow();
  });

  it('pushed config values are clamped to their bounds, zero and huge alike', () => {
    const r = new Rig(5000);
    r.online({ config: { batchRecords: 0, batchBytes: Number.MAX_SAFE_INTEGER, windowRecords: 0 } });
    expect(r.lastClose()).toBeUndefined();
    const sends = r.outs.filter((o) => o.kind === 'send' && o.stream !== 'control');
    expect(sends.every((o) => o.kind === 'send' && o.records === 1)).toBe(true); // batchRecords clamped to 1
    expect(r.sentRecords()).toBe(16); // windowRecords clamped to 16
    const big = new Rig(100_000);
    big.online({ config: { batchRecords: 1e9, batchBytes: 1e9, windowRecords: 1e9 } });
    expect(big.sentRecords()).toBe(65_536);
  });

  it('a pushed config value that is not an unsigned integer is refused naming the field; unknown keys are ignored', () => {
    const r = new Rig(1);
    r.apply(r.device.start(0));
    r.apply(r.device.connected(0, r.gen));
    r.feed(raw(FrameType.WELCOME, { time: 0, spool: r.spool.spoolId, high: 0, stored: [], config: { ...cfg, windowRecords: -5 } }));
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: "WELCOME: 'windowRecords' must be an unsigned integer" });
    const ok = new Rig(1);
    ok.apply(ok.device.start(0));
    ok.apply(ok.device.connected(0, ok.gen));
    ok.feed(raw(FrameType.WELCOME, { time: 0, spool: ok.spool.spoolId, high: 0, stored: [], config: { ...cfg, futureKnob: 'x' }, extra: [1, 2] }));
    expect(ok.lastClose()).toBeUndefined();
    expect(ok.device.state).toBe('online');
  });
});

describe('CLOSE, PONG and floods from a hostile server', () => {
  it("a CLOSE reason with control characters cannot forge a log line; the device backs off as for the code", () => {
    const r = new Rig(3);
    r.online();
    r.feed({ type: 'CLOSE', code: CloseCode.shutdown, reason: 'bye\nWARN forged line\u0007' });
    const st = r.outs.filter((o) => o.kind === 'state').at(-1);
    expect(st).toMatchObject({ state: 'offline' });
    const detail = st?.kind === 'state' ? st.detail : '';
    expect(detail).toContain('bye?WARN forged line?');
    expect(r.device.stats.lastClose).toBe('server: shutdown (0x05) bye?WARN forged line?');
    expect(r.device.state).toBe('backoff');
    expect(r.spool.ackedSeq).toBe(0);
  });

  it('a CLOSE reason over 500 characters is refused, and a transport close reason is cleaned too', () => {
    const r = new Rig(3);
    r.online();
    r.feed(raw(FrameType.CLOSE, { code: 5, reason: 'x'.repeat(501) }));
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: "CLOSE: 'reason' must be a string of at most 500 characters" });
    const t = new Rig(3);
    t.online();
    t.apply(t.device.closed(1, t.gen, 0x0a, 'evil\r\nline', 'peer', false));
    expect(t.device.stats.lastClose).toBe('closed by peer: QUIC transport PROTOCOL_VIOLATION (0x0a) evil??line');
  });

  it('a frame header announcing more than the limit is refused before its payload arrives', () => {
    const r = new Rig(3);
    r.online();
    const head = new Uint8Array([FrameType.ACK, 0xff, 0xff, 0xff, 0xff]);
    r.feed(head);
    expect(r.lastClose()).toMatchObject({ code: CloseCode.tooLarge, reason: 'control stream: ACK frame of 4294967295 bytes, limit 65536' });
  });

  it('a frame type the server must not send (BATCH, HELLO, PING) is refused by name', () => {
    for (const f of [encodeFrame({ type: 'PING', t: 1 }), encodeFrame({ type: 'BATCH', entries: [{ seq: 1, timeMs: 0, payload: new Uint8Array(1) }] })]) {
      const r = new Rig(3);
      r.online();
      r.feed(f);
      expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: expect.stringMatching(/^control stream: (PING|BATCH) frame not allowed here$/) });
    }
  });

  it('100k unsolicited PONGs in one chunk cost nothing and change nothing', () => {
    const r = new Rig(3);
    r.online();
    const one = encodeFrame({ type: 'PONG', t: 7 });
    const flood = new Uint8Array(one.length * 100_000);
    for (let i = 0; i < 100_000; i++) flood.set(one, i * one.length);
    r.feed(flood);
    expect(r.lastClose()).toBeUndefined();
    expect(r.device.state).toBe('online');
    expect(r.device.inflight).toBe(3);
  });

  it('ACKs fragmenting the held set (every other seq of a 65k window) are applied and release as many sends (their CPU: test/bench/device-ack.bench.ts)', () => {
    const r = new Rig(100_000);
    r.online({ config: { ...cfg, batchRecords: 2048, windowRecords: 65_536 } });
    expect(r.sentRecords()).toBe(65_536);
    // 8 ACKs of 4096 single-seq ranges: 32k separate held ranges
    for (let k = 0; k < 8; k++) {
      const ranges = Array.from({ length: 4096 }, (_, i): [number, number] => [2 + 2 * (k * 4096 + i), 2 + 2 * (k * 4096 + i)]);
      r.feed({ type: 'ACK', ranges });
    }
    expect(r.lastClose()).toBeUndefined();
    // the 32k acked records freed their window slots; more went out, as far as the byte
    // bound lets (frames with a seq still unacked stay counted: every frame here has one)
    const sent = r.sentRecords();
    expect(sent).toBeGreaterThan(65_536);
    expect(r.device.inflight).toBe(sent - 32_768);
    const bytes = r.outs.reduce((n, o) => n + (o.kind === 'send' && o.stream === 'backlog' ? o.bytes.length : 0), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + 4 * 64 * 1024 + 4096);
    expect(r.spool.ackedSeq).toBe(0);
    // and one more ACK for a seq not sent still names it
    r.feed({ type: 'ACK', ranges: [[sent + 1, sent + 1]] });
    expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol, reason: `ACK for seq ${sent + 1}, never sent (backlog sent up to ${sent})` });
  });

  it('a server that never sends WELCOME, or trickles one byte at a time, is closed as liveness after 15 s and retried', () => {
    for (const trickle of [false, true]) {
      const r = new Rig(10);
      r.apply(r.device.start(0));
      r.apply(r.device.connected(0, r.gen));
      const w = encodeFrame({ type: 'WELCOME', time: 0, spool: r.spool.spoolId, high: 0, stored: [], config: cfg });
      for (let t = 0; t < 15; t++) {
        r.now = t * 1000;
        if (trickle) r.feed(w.subarray(t, t + 1));
        r.apply(r.device.tick(r.now));
      }
      expect(r.lastClose()).toBeUndefined();
      r.now = 15_000;
      r.apply(r.device.tick(r.now));
      expect(r.lastClose()).toMatchObject({ code: CloseCode.liveness, reason: 'no WELCOME within 15000 ms' });
      expect(r.device.state).toBe('backoff');
      expect(r.sentRecords()).toBe(0);
      expect(r.device.nextTimeout()).toBeGreaterThan(r.now);
    }
  });

  it('a CLOSE with a permanent code makes the device wait the longest backoff, not give up', () => {
    const r = new Rig(3);
    r.online();
    r.feed({ type: 'CLOSE', code: CloseCode.identity, reason: 'nope' });
    expect(r.device.state).toBe('backoff');
    expect(r.device.nextTimeout()! - r.now).toBeGreaterThanOrEqual(30_000);
    r.now = r.device.nextTimeout()!;
    expect(r.apply(r.device.tick(r.now)).some((o) => o.kind === 'connect')).toBe(true);
  });

  it('a server that WELCOMEs and then fails at once is retried ever more slowly; ack progress resets the delay', () => {
    const r = new Rig(50);
    const delays: number[] = [];
    r.online();
    for (let round = 0; round < 6; round++) {
      r.feed({ type: 'ACK', ranges: [[40, 40]] }); // never sent
      expect(r.lastClose()).toMatchObject({ code: CloseCode.protocol });
      delays.push(r.retry());
      expect(r.device.state).toBe('online');
    }
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 12_000]);
    r.feed({ type: 'ACK', ranges: [[1, 4]] });
    r.apply(r.device.closed(r.now, r.gen, 0, 'transport failure', 'error', false));
    expect(r.device.nextTimeout()! - r.now).toBe(375);
    expect(r.spool.ackedSeq).toBe(4);
  });

  it('a server that never acks: after the liveness timeout the device reconnects with growing backoff and keeps every record', () => {
    const r = new Rig(100);
    r.online();
    const delays: number[] = [];
    for (let round = 0; round < 4; round++) {
      r.now += 15_000;
      r.apply(r.device.tick(r.now));
      expect(r.lastClose()).toMatchObject({ code: CloseCode.liveness, reason: expect.stringMatching(/^no ack progress for 15 s with 16 records in flight$/) });
      delays.push(r.retry()); // WELCOMEd again, never acked
    }
    expect(delays).toEqual([375, 750, 1500, 3000]);
    expect(r.spool.ackedSeq).toBe(0);
    expect(r.spool.entries.size).toBe(100);
  });
});

describe('a server that never reads', () => {
  const bytesSent = (r: Rig, stream: 'live' | 'backlog') => r.outs.reduce((n, o) => n + (o.kind === 'send' && o.stream === stream ? o.bytes.length : 0), 0);
  /** What a pump may write past the bound: one spool read's worth of frames. */
  const slack = 4 * 64 * 1024 + 4096;

  it('holds at most MAX_INFLIGHT_BYTES per data stream in flight, whatever window it pushes; acks let more out', () => {
    const r = new Rig(0);
    for (let i = 0; i < 3000; i++) r.spool.append(new Uint8Array(4000).fill(i & 0xff), i);
    r.online({ config: { batchRecords: 2048, batchBytes: 64 * 1024, windowRecords: 65_536 } });
    const first = bytesSent(r, 'backlog');
    // 3,000 records of 4 kB is 12 MB: a window of 65,536 records would let all of it out
    expect(first).toBeGreaterThanOrEqual(MAX_INFLIGHT_BYTES);
    expect(first).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + slack);
    // the same holds for the live stream
    for (let i = 0; i < 1000; i++) r.spool.append(new Uint8Array(4000), 10_000 + i);
    r.apply(r.device.notify(r.now));
    expect(bytesSent(r, 'live')).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + slack);
    // an ACK of the first 200 records frees their frames: more backlog goes out, still bounded
    // (the transport delivered what was written, so only the protocol's count holds it back)
    const sent = r.sentRecords();
    r.apply(r.device.transportBuffered(r.now, r.gen, { live: 0, backlog: 0 }));
    expect(r.sentRecords()).toBe(sent);
    r.feed({ type: 'ACK', ranges: [[1, 200]] });
    expect(r.sentRecords()).toBeGreaterThan(sent);
    expect(bytesSent(r, 'backlog') - first).toBeLessThanOrEqual(200 * 4100 + slack);
    expect(r.device.state).toBe('online');
  });

  it("ACKs every record written while its transport never drains: the device stops at the transport's bound, resumes as it drains, and skips nothing", () => {
    const r = new Rig(0);
    for (let i = 0; i < 3000; i++) r.spool.append(new Uint8Array(4000).fill(i & 0xff), i);
    r.online({ config: { batchRecords: 2048, batchBytes: 64 * 1024, windowRecords: 65_536 } });
    const reader = new FrameReader();
    const written: number[] = [];
    let seen = 0;
    /** Seqs of the backlog frames written since the last call, in order. */
    const newlyWritten = (): number[] => {
      const fresh: number[] = [];
      for (const o of r.outs.slice(seen)) {
        if (o.kind !== 'send' || o.stream !== 'backlog') continue;
        for (const f of reader.push(o.bytes)) if (f.type === 'BATCH') fresh.push(...f.entries.map((e) => e.seq));
      }
      seen = r.outs.length;
      written.push(...fresh);
      return fresh;
    };
    // the transport's count: every byte written since it last drained (its peer reads nothing)
    let drainedAt = 0;
    const inTransport = () => bytesSent(r, 'backlog') - drainedAt;
    const report = () => r.apply(r.device.transportBuffered(r.now, r.gen, { backlog: inTransport() }));
    /** The hostile server: an ACK for every seq written so far, as if it had stored them. */
    const ackAll = () => {
      newlyWritten();
      if (written.length) r.feed({ type: 'ACK', ranges: [[1, written.at(-1)!]] });
    };
    report();
    for (let round = 0; round < 20; round++) {
      ackAll();
      report();
    }
    newlyWritten();
    // 12 MB spooled; the protocol's count is zero after every ACK, the transport's is not
    expect(r.device.inflight).toBe(0);
    expect(inTransport()).toBeGreaterThanOrEqual(MAX_INFLIGHT_BYTES);
    expect(inTransport()).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + 64 * 1024 + 4096);
    expect(r.device.buffered.backlog).toBe(inTransport());
    const stalledAt = written.length;
    expect(stalledAt).toBeLessThan(1000);
    expect(r.spool.ackedSeq).toBe(stalledAt);
    // the transport drains (its peer's QUIC acknowledged the bytes): writing resumes where it stopped
    for (let round = 0; round < 200 && written.length < 3000; round++) {
      drainedAt = bytesSent(r, 'backlog');
      report();
      ackAll();
      report();
      expect(inTransport()).toBeLessThanOrEqual(MAX_INFLIGHT_BYTES + 64 * 1024 + 4096);
    }
    expect(written.length).toBeGreaterThan(stalledAt);
    // every record of the spool written once, in order, none skipped while stalled
    expect(written).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(r.device.state).toBe('online');
  });

  it('a transport that stays at the bound without draining for the liveness timeout: the device reconnects; one that drains slowly is left alone', () => {
    const r = new Rig(0);
    for (let i = 0; i < 3000; i++) r.spool.append(new Uint8Array(4000).fill(i & 0xff), i);
    r.online({ config: { batchRecords: 2048, batchBytes: 64 * 1024, windowRecords: 65_536 } });
    let held = MAX_INFLIGHT_BYTES + 10_000;
    r.apply(r.device.transportBuffered(r.now, r.gen, { backlog: held }));
    r.feed({ type: 'ACK', ranges: [[1, r.sentRecords()]] }); // all acked, nothing read
    const sent = r.sentRecords();
    expect(r.device.inflight).toBe(0);
    // a slow path: the count goes down a little every 10 s, so it is never stuck for 15 s
    for (let step = 0; step < 6; step++) {
      r.now += 10_000;
      r.apply(r.device.tick(r.now));
      held -= 1000;
      r.apply(r.device.transportBuffered(r.now, r.gen, { backlog: held }));
      expect(r.lastClose()).toBeUndefined();
    }
    expect(r.sentRecords()).toBe(sent); // still at the bound: nothing more written
    // now it stops going down: 15 s after its last drop the device gives up on this connection
    r.now += 10_000;
    r.apply(r.device.tick(r.now));
    r.apply(r.device.transportBuffered(r.now, r.gen, { backlog: held }));
    expect(r.lastClose()).toBeUndefined();
    expect(r.device.nextTimeout()).toBe(r.now - 10_000 + 15_000);
    r.now += 5_000;
    r.apply(r.device.tick(r.now));
    expect(r.lastClose()).toMatchObject({ code: CloseCode.liveness, reason: expect.stringMatching(/^the transport has held \d+ bytes of the backlog stream for 15 s without delivering any/) });
    expect(r.spool.entries.size).toBe(3000);
  });
});
