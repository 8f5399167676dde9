import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { waitFor } from '../support/wait.js';
import { serverWithGoodVehicle } from '../support/good-vehicle.js';
import { arr, bytes, frame, head, map, text, uint } from '../support/cbor-hand.js';
import { availableEngines, createEngine } from '../../src/quic/engines.js';
import type { CloseInfo, QuicConnection, QuicEngine } from '../../src/quic/engine.js';
import { deviceTls } from '../../src/tls/material.js';
import { IngestServer } from '../../src/server/server.js';
import { CloseCode } from '../../src/protocol/close-codes.js';
import { ALPN, FrameType, type Frame } from '../../src/protocol/messages.js';
import { FrameReader } from '../../src/protocol/reader.js';

/**
 * The ingest server over real QUIC, driven with frames written byte by byte as
 * another CBOR library writes them: integers with 8-byte heads, and heads that
 * declare far more data than follows. A good device streams throughout.
 */
const T = 1460384357000;
const BIG = 2 ** 32 + 1;

describe.each(availableEngines())('frame CBOR on the real server path (engine %s)', (engineName) => {
  let rig: Awaited<ReturnType<typeof serverWithGoodVehicle>>;
  let fleet: typeof rig.fleet;
  let dbFile: string;
  let server: IngestServer;
  let good: typeof rig.good;
  let engine: QuicEngine;

  beforeAll(async () => {
    rig = await serverWithGoodVehicle(engineName, 'wire.db');
    ({ fleet, dbFile, server, good } = rig);
    engine = createEngine(engineName);
  }, 30_000);

  afterAll(() => rig.stop());

  /** A raw session as truck-1: the control stream's raw bytes and frames, and the close. */
  async function session(spool: string, headSeq: number) {
    const conn: QuicConnection = await engine.connect({ host: '127.0.0.1', port: server.address.port, serverName: 'localhost', alpn: [ALPN], tls: deviceTls(fleet.ca, 'truck-1'), idleTimeoutMs: 30_000, keepAliveMs: 5_000, handshakeTimeoutMs: 5_000 });
    const s = { conn, raw: [] as number[], frames: [] as Frame[], closed: null as CloseInfo | null };
    conn.on('close', (i) => (s.closed = i));
    const control = await conn.openStream('bidi');
    const reader = new FrameReader();
    void (async () => {
      for await (const chunk of control) {
        s.raw.push(...chunk);
        s.frames.push(...reader.push(chunk));
      }
    })().catch(() => undefined);
    // HELLO with every integer in an 8-byte head, as a library that does not shorten heads writes it
    const hello = map(['v', uint(1, 9)], ['device', text('truck-1')], ['fw', text('hand')], ['schema', uint(1, 9)], ['spool', text(spool)], ['head', uint(headSeq, 9)], ['acked', uint(0, 9)]);
    await control.write(frame(FrameType.HELLO, hello));
    await waitFor(() => s.frames.some((f) => f.type === 'WELCOME') || s.closed !== null, 5000, 'WELCOME');
    return s;
  }
  const acked = (frames: Frame[]) => frames.flatMap((f) => (f.type === 'ACK' ? f.ranges : []));

  it('BATCH timeMs, GAP times and a seq above 2^32 sent as CBOR integers are stored and acked; WELCOME and ACK come back as integers', async () => {
    good.stream();
    const spool = 'aaaa0000bbbb1111';
    const s = await session(spool, BIG);
    expect(s.closed).toBeNull();
    const welcome = s.frames.find((f) => f.type === 'WELCOME')!;
    expect(welcome).toMatchObject({ spool, high: 0 });
    // WELCOME's time: the key "time", then an 8-byte unsigned integer head (not a float, 0xfb)
    const at = Buffer.from(s.raw).indexOf(Buffer.from(text('time')));
    expect(at).toBeGreaterThan(0);
    expect(s.raw[at + 5]).toBe(0x1b);
    expect(Math.abs((welcome as { time: number }).time - Date.now())).toBeLessThan(60_000);

    const data = await s.conn.openStream('uni');
    await data.write(frame(FrameType.BATCH, arr(arr(uint(1), uint(T), bytes([1])), arr(uint(2, 9), uint(T + 1000, 9), bytes([2])))));
    await data.write(frame(FrameType.GAP, map(['seq', uint(3)], ['from', uint(4)], ['to', uint(9)], ['fromT', uint(T + 2000)], ['toT', uint(T + 3000)], ['lost', uint(6)])));
    await data.write(frame(FrameType.BATCH, arr(arr(uint(BIG), uint(T + 4000), bytes([3])))));
    await waitFor(() => acked(s.frames).some(([, b]) => b === BIG), 10_000, 'ACK of the seq above 2^32');
    expect(s.closed).toBeNull();
    // the ACK's seq above 2^32 is an 8-byte integer head
    expect(Buffer.from(s.raw).indexOf(Buffer.from(uint(BIG)))).toBeGreaterThan(0);

    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.prepare('SELECT seq, time_ms FROM records WHERE spool = ? ORDER BY seq').all(spool)).toEqual([
        { seq: 1, time_ms: T },
        { seq: 2, time_ms: T + 1000 },
        { seq: BIG, time_ms: T + 4000 },
      ]);
      // the GAP has no 'why', as devices from before the reason send it: stored with reason NULL
      expect(db.prepare('SELECT seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, reason FROM gaps WHERE spool = ?').all(spool)).toEqual([{ seq: 3, from_seq: 4, to_seq: 9, from_time_ms: T + 2000, to_time_ms: T + 3000, lost: 6, reason: null }]);
    } finally {
      db.close();
    }
    await s.conn.close(CloseCode.normal, 'done');
  });

  it('a BATCH in indefinite-length arrays with a chunked record is stored and acked', async () => {
    good.stream();
    const spool = 'eeee0000ffff3333';
    const s = await session(spool, 1);
    const data = await s.conn.openStream('uni');
    await data.write(frame(FrameType.BATCH, [0x9f, 0x9f, ...uint(1), ...uint(T), 0x5f, ...bytes([7]), ...bytes([8, 9]), 0xff, 0xff, 0xff]));
    await waitFor(() => acked(s.frames).some(([a, b]) => a <= 1 && b >= 1), 10_000, 'ACK of seq 1');
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.prepare('SELECT seq, time_ms, payload FROM records WHERE spool = ?').all(spool)).toEqual([{ seq: 1, time_ms: T, payload: Buffer.from([7, 8, 9]) }]);
    } finally {
      db.close();
    }
    await s.conn.close(CloseCode.normal, 'done');
  });

  it('a BATCH declaring a 2^32-item array, or a 4 GiB record, closes only that connection at once, without allocating', async () => {
    const rss0 = process.memoryUsage().rss;
    const cases: [number[], RegExp][] = [
      [head(4, 2n ** 32n, 9), /BATCH: payload is not valid CBOR \(truncated: a array of 4294967296 at offset 0 runs past the end of the data\)/],
      [[...arr(arr(uint(1), uint(T), [...head(2, 2n ** 32n, 9)]))], /BATCH: payload is not valid CBOR \(truncated: a byte string of 4294967296 at offset 12 runs past the end/],
      [[...head(4, 1), ...head(4, 3), ...uint(1), ...uint(T), ...head(2, 2n ** 62n, 9)], /BATCH: payload is not valid CBOR \(truncated: a byte string of 4611686018427387904/],
    ];
    for (const [payload, reason] of cases) {
      good.stream();
      const s = await session('cccc0000dddd2222', 0);
      const data = await s.conn.openStream('uni');
      await data.write(frame(FrameType.BATCH, payload));
      await waitFor(() => s.closed !== null, 5000, 'refusal');
      expect(s.closed).toMatchObject({ code: CloseCode.protocol, app: true, reason: expect.stringMatching(reason) });
    }
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
  });
});
