/**
 * Delivery against `geostream server` by the aioquic peer (test/e2e/peer/delivery.py),
 * judged by docs/PROTOCOL.md part 2 and by what the server stored: the SQLite file's
 * rows (seq, time, bytes) and `server stats`. Resume from WELCOME's `high` and `stored`,
 * duplicates acked and not stored twice, PACKED format 1, GAP markers, WELCOME's time
 * as a CBOR integer, other valid CBOR encodings of the same values, PING/PONG and a
 * CLOSE from the device.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aioquicRoot, openBench, type Bench, type PeerEvent, type PeerRun } from './peer.js';

let bench: Bench;

beforeAll(async () => {
  bench = await openBench(aioquicRoot());
  for (const id of ['truck-1', 'truck-2', 'truck-3', 'truck-4']) await bench.device(id);
}, 20 * 60_000);

afterAll(async () => {
  await bench?.close();
});

interface Row {
  seq: number;
  timeMs: number;
  payload: string;
}

const query = <T>(sql: string, ...args: unknown[]): T[] => bench.query<T>(sql, ...args);

function storedRows(device: string, spool: string): Row[] {
  return query<{ seq: number; time_ms: number; payload: Buffer }>('SELECT seq, time_ms, payload FROM records WHERE device = ? AND spool = ? ORDER BY seq', device, spool).map((r) => ({
    seq: r.seq,
    timeMs: r.time_ms,
    payload: Buffer.from(r.payload).toString('hex'),
  }));
}

function stats(device: string): Record<string, unknown> {
  return bench.stats().devices.find((d) => d.device === device)!;
}

function spoolOf(run: PeerRun): string {
  return run.one('start').spool as string;
}

const show = (e: PeerEvent | PeerEvent[]) => JSON.stringify(e);

it('resume: WELCOME lists the stored runs of (acked, head], the rest is sent, resent duplicates are acked again and not stored twice', async () => {
  const run = await bench.peer(['--scenario', 'resume'], { device: 'truck-1' });
  expect(run.one('first'), show(run.events)).toMatchObject({ ok: true, uncommitted: [] });
  const [w1, w2, w3] = run.all('welcome');
  expect(w1!.welcome, show(run.events)).toMatchObject({ high: 0, stored: [] });
  expect(w2!.welcome, show(run.events)).toMatchObject({ high: 30, stored: [[1, 10], [21, 30]] });
  const resumed = run.one('resumed');
  expect(resumed, show(resumed)).toMatchObject({ ok: true, cumulative: 10, dupsAcked: true, uncommitted: [], terminated: null });
  expect(resumed.sent).toEqual([...range(11, 20), ...range(31, 40)]);
  expect(w3!.welcome, show(run.events)).toMatchObject({ high: 40, stored: [[11, 40]] });
  const rows = storedRows('truck-1', spoolOf(run));
  expect(rows.map((r) => r.seq)).toEqual(range(1, 40));
  const s = stats('truck-1');
  expect(s).toMatchObject({ records: 40, duplicates: 5, handshakes: 3, gaps: 0, lastSeq: 40 });
});

it("WELCOME's time is a CBOR integer: the server's wall clock in ms", async () => {
  const run = await bench.peer(['--scenario', 'stream', '--records', '1'], { device: 'truck-1' });
  const w = run.one('welcome');
  expect(w.timeIsInt, show(w)).toBe(true);
  const { time } = w.welcome as { time: number };
  expect(Math.abs(time - (w.peerNowMs as number))).toBeLessThan(5_000);
});

it('PACKED format 1 (one part 1 batch message, inclusive seq ranges with a hole): each record stored as its single-record encoding with timeMs = t*1000 + ms', async () => {
  const run = await bench.peer(['--scenario', 'packed'], { device: 'truck-2' });
  expect(run.one('formats').formats, show(run.events)).toContain(1);
  const r = run.one('packed');
  expect(r, show(r)).toMatchObject({ ok: true, acked: [1, 2, 3, 4, 5, 7, 8, 9], uncommitted: [], terminated: null });
  const expected = run.one('expect').rows as Row[];
  expect(expected.find((x) => x.seq === 8)!.timeMs % 1000).toBe(250);
  expect(storedRows('truck-2', spoolOf(run))).toEqual(expected);
  expect(stats('truck-2')).toMatchObject({ records: 8, duplicates: 0 });
});

it('GAP: stored in gaps with its range, times and reason, acked like a record; sent again it is a duplicate, acked again', async () => {
  const run = await bench.peer(['--scenario', 'gap'], { device: 'truck-3' });
  const g = run.one('gap');
  expect(g, show(g)).toMatchObject({ ok: true, uncommitted: [], terminated: null });
  expect(run.one('gap-again'), show(run.events)).toMatchObject({ ok: true, terminated: null });
  const spool = spoolOf(run);
  const gap = g.gap as { seq: number; from: number; to: number; fromT: number; toT: number; lost: number; why: string };
  const gaps = query('SELECT seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, reason FROM gaps WHERE device = ? AND spool = ?', 'truck-3', spool);
  expect(gaps).toEqual([{ seq: gap.seq, from_seq: gap.from, to_seq: gap.to, from_time_ms: gap.fromT, to_time_ms: gap.toT, lost: gap.lost, reason: gap.why }]);
  expect(storedRows('truck-3', spool).map((r) => r.seq)).toEqual([...range(1, 5), ...range(11, 15)]);
  expect(stats('truck-3')).toMatchObject({ records: 10, gaps: 1, lost: 4, duplicates: 1 });
});

it('other valid CBOR encodings of the same values are accepted: long heads, integral floats, indefinite lengths, keys in any order, an unknown HELLO key, seqs above 2^32; ACK numbers are integers', async () => {
  const run = await bench.peer(['--scenario', 'encodings'], { device: 'truck-4' });
  const r = run.one('encodings');
  const big = [2 ** 32 + 1, 2 ** 32 + 2];
  expect(r, show(run.events)).toMatchObject({ ok: true, acked: [1, 2, 3, 6, ...big], ackIntegers: true, uncommitted: [], missing: [], terminated: null });
  const expected = run.one('expect').rows as Row[];
  expect(storedRows('truck-4', spoolOf(run))).toEqual(expected);
  const gaps = query('SELECT seq, from_seq, to_seq, lost FROM gaps WHERE device = ? AND spool = ?', 'truck-4', spoolOf(run));
  expect(gaps).toEqual([{ seq: 6, from_seq: 5, to_seq: 5, lost: 1 }]);
  expect(stats('truck-4')).toMatchObject({ records: 5, gaps: 1, lastSeq: big[1] });
});

it('PING t is answered by PONG t (an integer, here above 2^32); a CLOSE from the device ends the connection as normal (0x00)', async () => {
  const run = await bench.peer(['--scenario', 'control'], { device: 'truck-1' });
  const p = run.one('pong');
  expect(p, show(p)).toMatchObject({ pong: p.t, isInt: true });
  const c = run.one('closed');
  expect(c.terminated, show(c)).toMatchObject({ kind: 'application', code: 0 });
  const want = /normal \(0x00\).*ignition off/;
  expect(await bench.lastClose('truck-1', want)).toMatch(want);
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
