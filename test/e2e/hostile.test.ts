/**
 * Bad frames from the aioquic peer (test/e2e/peer/hostile.py), one per connection,
 * each closing that connection with the code docs/PROTOCOL.md names ("Frames",
 * "Limits", "Close codes"): a CLOSE frame on the control stream and the QUIC
 * application close with the same code and reason; nothing of the bad frame stored;
 * the vehicle's `lastClose` names the code. Meanwhile a second vehicle streams one
 * record every 100 ms on its own connection and every record is acked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aioquicRoot, openBench, type Bench, type PeerRun } from './peer.js';

let bench: Bench;
let trickle: Promise<PeerRun>;
const stopFile = () => join(bench.dir, 'stop-trickle');

beforeAll(async () => {
  bench = await openBench(aioquicRoot());
  await bench.device('truck-1');
  await bench.device('truck-2');
  trickle = bench.peer(['--scenario', 'trickle', '--duration', '300', '--interval', '0.1', '--until', bench.inRoot(stopFile())], { device: 'truck-2', timeoutMs: 330_000 });
}, 20 * 60_000);

afterAll(async () => {
  if (bench) writeFileSync(stopFile(), '');
  await trickle?.catch(() => undefined);
  await bench?.close();
});

const protocol = 0x01;
const tooLarge = 0x02;

/** case -> [close code, what the reason must name, whether the case opened the control stream] */
const CASES: [string, number, RegExp | null, boolean][] = [
  ['oversize-batch', tooLarge, /BATCH/, true],
  ['oversize-ping', tooLarge, /PING/, true],
  ['oversize-hello', tooLarge, /HELLO/, true],
  ['batch-2049-records', tooLarge, /2048/, true],
  ['record-4097-bytes', tooLarge, /4096/, true],
  ['reserved-additional-info', protocol, /CBOR/, true],
  ['truncated-cbor', protocol, /CBOR/, true],
  ['trailing-bytes', protocol, /BATCH/, true],
  ['cbor-tag', protocol, /BATCH/, true],
  ['undefined', protocol, /BATCH/, true],
  ['unknown-type', protocol, /0x7e/, true],
  ['hello-on-data-stream', protocol, /HELLO/, true],
  ['batch-on-control-stream', protocol, /BATCH/, true],
  ['records-before-hello', protocol, /before HELLO/, false],
  ['second-hello', protocol, /HELLO/, true],
  ['second-bidi-stream', protocol, /stream/, true],
  ['fin-inside-frame', protocol, /inside a frame/, true],
  ['seq-above-2^53', protocol, /seq/, true],
  ['time-with-fraction', protocol, /timeMs/, true],
  ['seqs-not-ascending', protocol, /seq/, true],
  ['gap-without-lost', protocol, /lost/, true],
  ['packed-count-mismatch', protocol, /PACKED/, true],
  ['packed-unknown-format', protocol, /format 99/, true],
  ['no-hello', protocol, /HELLO/, false],
];

const query = <T>(sql: string, ...args: unknown[]): T[] => bench.query<T>(sql, ...args);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

it.each(CASES)('%s: closed with code %i', async (name, code, names, control) => {
  const run = await bench.peer(['--scenario', 'hostile', '--case', name], { device: 'truck-1' });
  const r = run.one('hostile');
  const why = JSON.stringify(r);
  const t = r.terminated as { kind: string; code: number; reason: string } | null;
  expect(t, why).toMatchObject({ kind: 'application', code });
  if (names) expect(t!.reason, why).toMatch(names);
  if (control) expect(r.close, why).toEqual({ code, reason: t!.reason });
  else expect(r.close, why).toBeNull();
  expect(r.acked, why).toEqual([]);
  const spool = run.one('start').spool as string;
  expect(query('SELECT seq FROM records WHERE device = ? AND spool = ? UNION ALL SELECT seq FROM gaps WHERE device = ? AND spool = ?', 'truck-1', spool, 'truck-1', spool)).toEqual([]);
  const helloSent = run.all('welcome').length === 1;
  if (helloSent) {
    // this case's reason, so an earlier case's close cannot pass for it
    const want = new RegExp(`${code === protocol ? 'protocol' : 'too-large'} \\(${hex(code)}\\) ${escape(t!.reason)}`);
    expect(await bench.lastClose('truck-1', want), why).toMatch(want);
  }
  expect(bench.server.proc.exitCode, bench.server.output().slice(-2000)).toBeNull();
});

it('meanwhile the other vehicle streamed without a break, and the server logged each refusal', async () => {
  writeFileSync(stopFile(), '');
  const r = (await trickle).one('trickle');
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true, failed: null, terminated: null });
  expect(r.records as number).toBeGreaterThan(CASES.length);
  const [d] = query<{ records: number; handshakes: number }>('SELECT records, handshakes FROM devices WHERE device = ?', 'truck-2');
  expect(d).toMatchObject({ records: r.records, handshakes: 1 });
  const refusals = bench.server.output().match(/refused truck-1 from \S+: (protocol \(0x01\)|too-large \(0x02\))/g) ?? [];
  expect(refusals.length).toBe(CASES.length);
});
