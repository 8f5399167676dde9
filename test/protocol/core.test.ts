import { describe, expect, it } from 'vitest';
import { CorePipe } from '../support/core-pipe.js';
import { MemSpool } from '../support/mem-spool.js';
import { backoffDelay } from '../../src/protocol/backoff.js';
import { CloseCode } from '../../src/protocol/close-codes.js';
import { ServerCore } from '../../src/protocol/server-core.js';
import { DeviceCore } from '../../src/protocol/device-core.js';
import { DEFAULT_LIMITS, HEADER_BYTES, PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { decodePayload, encodeFrame } from '../../src/protocol/wire.js';
import type { RecordPacker } from '../../src/protocol/packing.js';

const cfg = { batchRecords: 256, batchBytes: 64 * 1024, windowRecords: 4096 };
const hello = (device = 'truck-1', extra: Partial<{ schema: number; version: number }> = {}) =>
  encodeFrame({ type: 'HELLO', version: extra.version ?? PROTOCOL_VERSION, device, firmware: 'x', schema: extra.schema ?? 1, spool: 'a1b2c3d4e5f60718', head: 0, acked: 0 });
const noStore = () => ({ high: 0, stored: [] });

describe('device and server cores over an in-memory pipe', () => {
  it('10k records are stored exactly once and the spool is acked to its head', () => {
    const p = new CorePipe();
    p.start();
    for (let i = 0; i < 100; i++) {
      p.append(100);
      p.advance(50);
    }
    expect(p.device.state).toBe('online');
    expect(p.storedSeqs()).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(p.duplicates).toBe(0);
    expect(p.spool.ackedSeq).toBe(10_000);
  });

  it('records committed while offline go on the backlog stream, fresh ones on the live stream before the backlog ends', () => {
    const p = new CorePipe();
    p.serverUp = false;
    p.start();
    p.append(20_000);
    p.autoCommit = false;
    p.serverUp = true;
    p.advance(2_000);
    expect(p.device.state).toBe('online');
    p.append(1);
    const live = p.sent.filter((s) => s.stream === 'live');
    expect(live).toHaveLength(1);
    expect(live[0]!.firstSeq).toBe(20_001);
    // the backlog is held back by its window (4096 unacked) while the live record went out
    const backlogSent = p.sent.filter((s) => s.stream === 'backlog').reduce((n, s) => n + s.records, 0);
    expect(backlogSent).toBe(4096);
    for (let i = 0; i < 20; i++) p.commit();
    expect(p.storedSeqs()).toHaveLength(20_001);
    expect(p.spool.ackedSeq).toBe(20_001);
  });

  it('a connection lost with records stored but not acked resumes from WELCOME without resending them', () => {
    const p = new CorePipe();
    p.start();
    p.autoCommit = false;
    p.append(500);
    p.commit(); // stored and acked
    p.append(500);
    // the server commits, but the connection dies before the ACK reaches the device
    p.pathUp = false;
    p.commit();
    p.pathUp = true;
    expect(p.spool.ackedSeq).toBe(500);
    p.dropConnection();
    p.autoCommit = true;
    p.advance(5_000);
    expect(p.device.state).toBe('online');
    expect(p.spool.ackedSeq).toBe(1000);
    expect(p.duplicates).toBe(0);
    expect(p.storedSeqs()).toHaveLength(1000);
  });

  it('records in flight on a lost connection are resent and stored once', () => {
    const p = new CorePipe();
    p.start();
    p.autoCommit = false;
    p.append(300);
    p.dropConnection();
    p.discardPending(); // the server died before its COMMIT
    p.autoCommit = true;
    p.advance(5_000);
    expect(p.storedSeqs()).toHaveLength(300);
    expect(p.duplicates).toBe(0);
    expect(p.spool.ackedSeq).toBe(300);
  });

  it('no ack progress for 15 s with records in flight closes the connection (liveness) and a new one resumes', () => {
    const p = new CorePipe();
    p.start();
    p.pathUp = false; // black hole: sends vanish, nothing comes back
    p.append(10);
    p.advance(14_900);
    expect(p.log.filter((o) => o.kind === 'close')).toHaveLength(0);
    p.advance(200);
    const closes = p.log.filter((o) => o.kind === 'close');
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ code: CloseCode.liveness });
    expect(p.device.state).toBe('backoff');
    p.pathUp = true;
    p.advance(3_000);
    expect(p.device.state).toBe('online');
    expect(p.spool.ackedSeq).toBe(10);
  });

  it('an idle link with nothing in flight is not declared dead', () => {
    const p = new CorePipe();
    p.start();
    p.append(5);
    p.pathUp = false;
    p.advance(120_000, 1000);
    expect(p.log.filter((o) => o.kind === 'close')).toHaveLength(0);
  });

  it('backoff grows exponentially with jitter from the injected random source, capped, and resets after ack progress', () => {
    const seq = [0, 0.5, 1, 0, 0.75, 0, 0, 0, 0, 0, 0];
    expect(seq.map((r, i) => backoffDelay(i, () => r))).toEqual([250, 750, 2000, 2000, 7000, 8000, 16000, 30000, 30000, 30000, 30000]);
    const p = new CorePipe();
    p.serverUp = false;
    p.random = () => 0;
    p.start();
    p.advance(60_000);
    const connects = p.log.filter((o) => o.kind === 'connect').length;
    // 0.25+0.5+1+2+4+8+16 = 31.75 s, then 30 s: 8 or 9 attempts in 60 s
    expect(connects).toBeGreaterThanOrEqual(8);
    expect(connects).toBeLessThanOrEqual(9);
    p.serverUp = true;
    p.advance(40_000);
    expect(p.device.state).toBe('online');
    p.append(1);
    expect(p.spool.ackedSeq).toBe(1);
    p.dropConnection();
    const before = p.log.filter((o) => o.kind === 'connect').length;
    p.advance(300);
    expect(p.log.filter((o) => o.kind === 'connect').length).toBe(before + 1);
  });

  it('gap markers travel as GAP frames and spool holes do not block the cumulative ack', () => {
    const p = new CorePipe();
    p.serverUp = false;
    p.start();
    p.append(10);
    p.spool.skip(5); // seqs 11..15 lost on the card
    p.spool.appendGap(11, 15, 5); // seq 16
    p.append(10);
    p.serverUp = true;
    p.advance(3_000);
    expect(p.gaps).toEqual([{ seq: 16, fromSeq: 11, toSeq: 15 }]);
    expect(p.storedSeqs()).toHaveLength(20);
    expect(p.spool.ackedSeq).toBe(26);
  });

  it("a GAP frame carries the spool's reason (why); a frame without one, as older devices send, still decodes", () => {
    const p = new CorePipe();
    p.serverUp = false;
    p.start();
    p.append(3);
    p.spool.appendGap(1, 2, 2, 'ring');
    p.serverUp = true;
    p.advance(3_000);
    expect(p.gaps).toEqual([{ seq: 4, fromSeq: 1, toSeq: 2, reason: 'ring' }]);
    const old = encodeFrame({ type: 'GAP', seq: 5, fromSeq: 1, toSeq: 2, fromTimeMs: 0, toTimeMs: 1, lost: 2 });
    expect(decodePayload(old[0]!, old.subarray(HEADER_BYTES))).toEqual({ type: 'GAP', seq: 5, fromSeq: 1, toSeq: 2, fromTimeMs: 0, toTimeMs: 1, lost: 2 });
    const bad = encodeFrame({ type: 'GAP', seq: 5, fromSeq: 1, toSeq: 2, fromTimeMs: 0, toTimeMs: 1, lost: 2, reason: "x'; DROP TABLE gaps" });
    expect(() => decodePayload(bad[0]!, bad.subarray(HEADER_BYTES))).toThrow(/'why' must be a string matching/);
  });

  it('link state goes connecting -> online -> offline -> connecting -> online, one event per change', () => {
    const p = new CorePipe();
    p.start();
    p.dropConnection();
    p.advance(2_000);
    expect(p.log.filter((o) => o.kind === 'state').map((o) => (o as { state: string }).state)).toEqual(['connecting', 'online', 'offline', 'connecting', 'online']);
  });

  it('uncommitted records are not sent (a crash could reuse their seqs)', () => {
    const p = new CorePipe();
    p.start();
    p.spool.append(new Uint8Array(4), 0, false);
    p.apply(p.device.notify(p.now));
    expect(p.sent.filter((s) => s.stream !== 'control')).toHaveLength(0);
    p.spool.commit();
    p.apply(p.device.notify(p.now));
    expect(p.storedSeqs()).toEqual([1]);
  });
});

/** A test packer: payloads length-prefixed back to back, time in a header; format 77. */
const testPacker: RecordPacker = {
  format: 77,
  pack: (es) => (es.some((e) => e.payload.length > 255) ? null : Uint8Array.from(es.flatMap((e) => [e.payload.length, ...e.payload]))),
  unpack: (seqs, blob) => {
    const out = [];
    let i = 0;
    for (const seq of seqs) {
      if (i >= blob.length) throw new Error('blob too short');
      const n = blob[i]!;
      out.push({ seq, timeMs: 0, payload: blob.subarray(i + 1, i + 1 + n) });
      i += 1 + n;
    }
    if (i !== blob.length) throw new Error(`${blob.length - i} bytes left over`);
    return out;
  },
};

describe('PACKED frames', () => {
  it('are used when WELCOME lists the packer format and every record arrives intact', () => {
    const p = new CorePipe({ packer: testPacker });
    p.serverPackers = [testPacker];
    p.start();
    p.append(1000, 20);
    expect(p.storedSeqs()).toHaveLength(1000);
    expect([...p.db.values()].every((e) => e.payload.length === 20 && e.payload[0] === (e.seq - 1) % 256)).toBe(true);
    expect(p.log.some((o) => o.kind === 'send' && o.bytes[0] === 0x09)).toBe(true);
    expect(p.log.some((o) => o.kind === 'send' && o.bytes[0] === 0x03)).toBe(false);
  });

  it('are not sent to a server that does not offer the format (plain BATCH instead)', () => {
    const p = new CorePipe({ packer: testPacker });
    p.start();
    p.append(10);
    expect(p.storedSeqs()).toHaveLength(10);
    expect(p.log.some((o) => o.kind === 'send' && o.bytes[0] === 0x09)).toBe(false);
  });

  it('a blob that does not unpack to its seqs closes the connection with the packer\'s reason', () => {
    const s = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg, packers: [testPacker] });
    s.controlBytes(0, hello());
    const out = s.dataBytes(2, encodeFrame({ type: 'PACKED', format: 77, seqs: [[1, 3]], blob: Uint8Array.of(1, 9) }));
    expect(out.at(-1)).toMatchObject({ kind: 'close', code: CloseCode.protocol, reason: 'PACKED format 77: blob too short' });
    const s2 = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    s2.controlBytes(0, hello());
    expect(s2.dataBytes(2, encodeFrame({ type: 'PACKED', format: 5, seqs: [[1, 1]], blob: Uint8Array.of(0) })).at(-1)).toMatchObject({ reason: 'PACKED format 5 not supported (WELCOME offered none)' });
  });
});

describe('server core with a store that answers later', () => {
  it('sends WELCOME only when welcome() brings the lookup answer, and once', () => {
    const asked: unknown[][] = [];
    const s = new ServerCore({ identity: 'truck-1', lookup: (...a) => (asked.push(a), null), config: cfg });
    const out = s.controlBytes(5, hello());
    expect(out.map((o) => o.kind)).toEqual(['hello']);
    expect(asked).toEqual([['truck-1', 'a1b2c3d4e5f60718', 0, 0, DEFAULT_LIMITS.ranges]]);
    const w = s.welcome(7, { high: 9, stored: [[1, 9]] });
    expect(w).toHaveLength(1);
    const first = w[0]!;
    const b = first.kind === 'send' ? first.bytes : new Uint8Array(HEADER_BYTES);
    const f = decodePayload(b[0]!, b.subarray(HEADER_BYTES));
    expect(f).toMatchObject({ type: 'WELCOME', time: 7, high: 9, stored: [[1, 9]] });
    expect(s.welcome(8, { high: 9, stored: [] }).at(-1)).toMatchObject({ kind: 'close', code: CloseCode.internal });
  });

  it('a welcome() after the session closed sends nothing', () => {
    const s = new ServerCore({ identity: 'truck-1', lookup: () => null, config: cfg });
    s.controlBytes(0, hello());
    s.close(CloseCode.shutdown, 'bye');
    expect(s.welcome(1, { high: 0, stored: [] })).toEqual([]);
  });
});

describe('server core refusals', () => {
  it('a HELLO for another vehicle is refused with the identity code naming both ids', () => {
    const p = new CorePipe({ device: 'truck-2' });
    p.start();
    expect(p.serverClosed[0]).toMatchObject({ code: CloseCode.identity });
    expect(p.serverClosed[0]!.reason).toMatch(/"truck-2".*"truck-1"/);
    expect(p.device.state).toBe('backoff');
    expect(p.device.stats.lastClose).toMatch(/identity/);
  });

  it('a connection without a vehicle certificate is refused as unauthenticated', () => {
    const s = new ServerCore({ identity: null, lookup: noStore, config: cfg });
    expect(s.open()).toEqual([{ kind: 'close', code: CloseCode.unauthenticated, reason: 'no client certificate naming a vehicle' }]);
  });

  it('records before HELLO are a protocol error', () => {
    const s = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    const out = s.dataBytes(2, encodeFrame({ type: 'BATCH', entries: [{ seq: 1, timeMs: 0, payload: new Uint8Array(3) }] }));
    expect(out.at(-1)).toMatchObject({ kind: 'close', code: CloseCode.protocol, reason: 'records before HELLO' });
  });

  it('an unknown frame type, garbage CBOR and a frame header over the limit are refused with clear reasons', () => {
    const mk = () => new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    expect(mk().controlBytes(0, Uint8Array.of(0x7f, 0, 0, 0, 1, 0)).at(-1)).toMatchObject({ code: CloseCode.protocol, reason: 'control stream: unknown frame type 0x7f' });
    expect(mk().controlBytes(0, Uint8Array.of(0x01, 0, 0, 0, 2, 0xff, 0xff)).at(-1)).toMatchObject({ code: CloseCode.protocol });
    expect(mk().controlBytes(0, Uint8Array.of(0x01, 0x7f, 0, 0, 0)).at(-1)).toMatchObject({ code: CloseCode.tooLarge, reason: expect.stringMatching(/HELLO frame of 2130706432 bytes, limit 65536/) });
    const s = mk();
    s.controlBytes(0, hello());
    expect(s.dataBytes(2, Uint8Array.of(0x03, 0x10, 0, 0, 0)).at(-1)).toMatchObject({ code: CloseCode.tooLarge });
  });

  it('a HELLO with a missing field names the field', () => {
    const s = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    const body = hello().subarray(5);
    // replace the CBOR key "device" with "devicX"
    const patched = Buffer.from(body).toString('latin1').replace('device', 'devicX');
    const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, patched.length]), Buffer.from(patched, 'latin1')]);
    expect(s.controlBytes(0, frame).at(-1)).toMatchObject({ code: CloseCode.protocol, reason: "HELLO: 'device' must be a string matching /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/ of at most 64 characters" });
  });

  it('an unknown protocol or schema version is refused with the version code', () => {
    const s1 = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    expect(s1.controlBytes(0, hello('truck-1', { version: 9 })).at(-1)).toMatchObject({ code: CloseCode.version });
    const s2 = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    expect(s2.controlBytes(0, hello('truck-1', { schema: 7 })).at(-1)).toMatchObject({ code: CloseCode.version, reason: expect.stringMatching(/schema 7/) });
  });

  it('a device ignoring its window is cut off before the server buffers without bound', () => {
    const s = new ServerCore({ identity: 'truck-1', lookup: noStore, config: { ...cfg, windowRecords: 16 } });
    s.controlBytes(0, hello());
    let last;
    for (let b = 0; b < 10; b++) {
      const entries = Array.from({ length: 16 }, (_, i) => ({ seq: b * 16 + i + 1, timeMs: 0, payload: new Uint8Array(4) }));
      last = s.dataBytes(2, encodeFrame({ type: 'BATCH', entries })).at(-1);
      if (s.isClosed) break;
    }
    expect(last).toMatchObject({ kind: 'close', code: CloseCode.tooLarge });
  });

  it('a second HELLO and a ninth data stream are protocol errors', () => {
    const s1 = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    s1.controlBytes(0, hello());
    expect(s1.controlBytes(0, hello()).at(-1)).toMatchObject({ code: CloseCode.protocol, reason: 'second HELLO' });
    const s2 = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
    s2.controlBytes(0, hello());
    for (let i = 0; i < 8; i++) expect(s2.dataBytes(2 + 4 * i, Uint8Array.of(0x03))).toEqual([]);
    expect(s2.dataBytes(2 + 4 * 8, Uint8Array.of(0x03)).at(-1)).toMatchObject({ code: CloseCode.protocol, reason: 'more than 8 data streams' });
  });

  it('random bytes on any stream never escape as exceptions', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const s = new ServerCore({ identity: 'truck-1', lookup: noStore, config: cfg });
      if (i % 2) s.controlBytes(0, hello());
      const len = Math.floor(rnd() * 64);
      const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      if (len > 0) b[0] = 1 + (b[0]! % 8);
      expect(() => (i % 3 ? s.dataBytes(2, b) : s.controlBytes(0, b))).not.toThrow();
    }
  });
});

describe('device core against a broken server', () => {
  it('an ACK for a seq never sent closes the connection (the spool is not acked beyond what exists)', () => {
    const p = new CorePipe();
    p.start();
    p.append(5);
    const bad = encodeFrame({ type: 'ACK', ranges: [[1, 50]] });
    p.apply(p.device.control(p.now, p.gen, bad));
    expect(p.log.filter((o) => o.kind === 'close').at(-1)).toMatchObject({ code: CloseCode.protocol, reason: 'ACK for seq 50, never sent (next is 6)' });
    expect(p.spool.ackedSeq).toBe(5);
  });

  it('a WELCOME for another spool is refused', () => {
    const d = new DeviceCore({ device: 'truck-1', firmware: 't', schema: 1, spool: new MemSpool(), random: () => 0 });
    const connect = d.start(0).find((o) => o.kind === 'connect')!;
    d.connected(0, connect.gen);
    const w = encodeFrame({ type: 'WELCOME', time: 0, spool: 'ffffffffffffffff', high: 0, stored: [], config: cfg });
    expect(d.control(1, connect.gen, w).find((o) => o.kind === 'close')).toMatchObject({ code: CloseCode.protocol, reason: expect.stringMatching(/WELCOME for spool ffffffffffffffff, ours is a1b2c3d4e5f60718/) });
    expect(d.state).toBe('backoff');
  });
});

describe('MemSpool helper', () => {
  it('refuses an ack beyond its head (so the cores cannot ack what does not exist)', () => {
    const s = new MemSpool();
    expect(() => s.ack(1)).toThrow(/beyond head/);
  });
});
