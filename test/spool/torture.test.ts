import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { Spool, ReadOnlySpool } from '../../src/spool/index.js';
import { encodeRecord } from '../../src/codec/index.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { fixFromJson } from '../../src/gnss/fix.js';
import { bundleCli } from './child-cli.js';
import { sleep, tempDir } from './helpers.js';

/**
 * Crash torture: a real `geostream spool append` child gets JSON lines continuously and is
 * SIGKILLed at a random moment. After each kill the spool must hold every record up to the
 * last "committed SEQ" the child printed, byte for byte, with strictly increasing seqs and
 * nothing corrupt. 200 rounds in CI (CI set), 40 on a developer machine (each round starts a
 * node process: ~0.3-0.8 s on a loaded 2-core box); GEOSTREAM_TORTURE_ROUNDS overrides.
 */
const ROUNDS = Number(process.env.GEOSTREAM_TORTURE_ROUNDS ?? (process.env.CI ? 200 : 40));
const PARALLEL = 4; // independent spools; child start-up dominates, so overlap it
/** How long a child may take to start and to commit: only a guard against a hung child (four starting at once took over 10 s at load 16 on 2 cores). */
const CHILD_WAIT_MS = 60_000;

let cli = '';
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  cli = await bundleCli();
});
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
});

let seed = 20261127;
function rand(n: number): number {
  seed = (seed * 48271) % 2147483647;
  return seed % n;
}

function line(n: number): string {
  return JSON.stringify({ time: new Date(1_600_000_000_000 + n * 100).toISOString(), lat: 48 + n * 1e-7, lon: 11.5, alt: 520.5, speed: n % 30, course: 90, mode: 3, quality: 1, sats: 9, hdop: 0.9 });
}

interface Round {
  firstSeq: number;
  committed: number;
  sent: number;
}

/** Runs one child for a random time, kills it with SIGKILL, returns what it reported. */
async function oneRound(cli: string, dir: string, n0: number, always: boolean): Promise<Round & { lines: number }> {
  const args = [cli, 'spool', 'append', '--dir', dir, '--segment-bytes', '16384', '--capacity-bytes', String(1 << 22), '--commit-ms', String(1 + rand(20))];
  if (always) args.push('--fsync', 'always');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // wait for the start line with the first seq
  const t0 = Date.now();
  while (!/next seq (\d+)/.test(err)) {
    if (Date.now() - t0 > CHILD_WAIT_MS) throw new Error(`child did not start: ${err}`);
    await sleep(2);
  }
  const firstSeq = Number(/next seq (\d+)/.exec(err)![1]);
  // Three rounds in four kill after the first commit (a moment inside steady appending);
  // the fourth at any moment, start-up and recovery included.
  const afterCommit = rand(4) !== 0;
  let killAt = afterCommit ? Infinity : Date.now() + rand(80);
  let n = n0;
  while (Date.now() < killAt) {
    if (killAt === Infinity && /committed/.test(out)) killAt = Date.now() + rand(80);
    if (Date.now() - t0 > CHILD_WAIT_MS) throw new Error(`child never committed: ${err}`);
    const k = 1 + rand(60);
    let chunk = '';
    for (let i = 0; i < k; i++) chunk += `${line(n++)}\n`;
    child.stdin.write(chunk);
    await sleep(rand(3));
  }
  child.kill('SIGKILL');
  await exited;
  const commits = [...out.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
  for (let i = 1; i < commits.length; i++) expect(commits[i]!).toBeGreaterThan(commits[i - 1]!);
  return { firstSeq, committed: commits.length ? commits[commits.length - 1]! : 0, sent: n - n0, lines: n };
}

async function torture(rounds: number, lane: number): Promise<{ records: number; commitsSeen: number }> {
  const t = tempDir(`geostream-spool-torture${lane}-`);
  cleanups.push(t.cleanup);
  const sentLines: string[] = []; // global line n -> text; seq -> line mapping per round below
  const seqToLine = new Map<number, number>();
  let n = 0;
  let lastSeq = 0;
  let commitsSeen = 0;
  for (let r = 0; r < rounds; r++) {
    const tA = Date.now();
    const res = await oneRound(cli, t.dir, n, r % 10 === 7);
    const tB = Date.now();
    for (let i = 0; i < res.sent; i++) sentLines[n + i] = line(n + i);
    for (let i = 0; i < res.sent; i++) seqToLine.set(res.firstSeq + i, n + i);
    n = res.lines;
    expect(res.firstSeq).toBeGreaterThan(lastSeq);
    // recover in this process and check
    const s = await Spool.open({ dir: t.dir, segmentBytes: 16384, capacityBytes: 1 << 22 });
    const all = s.read(0, 1e9);
    let prev = 0;
    for (const e of all) {
      expect(e.seq).toBeGreaterThan(prev);
      prev = e.seq;
      expect(e.kind).toBe('data');
      // the codec record of that line, carrying this seq
      const want = encodeRecord(recordFromFix(fixFromJson(JSON.parse(sentLines[seqToLine.get(e.seq)!]!), 'sent'), e.seq));
      expect(Buffer.from(e.payload).equals(Buffer.from(want))).toBe(true);
    }
    if (res.committed > 0) {
      commitsSeen++;
      expect(res.committed).toBeGreaterThanOrEqual(res.firstSeq);
      const have = new Set(all.map((e) => e.seq));
      for (let q = Math.max(res.firstSeq, s.ackedSeq + 1); q <= res.committed; q++) if (!have.has(q)) throw new Error(`round ${r}: committed seq ${q} missing after SIGKILL`);
    }
    expect(s.stats().corruptBytes).toBe(0);
    lastSeq = Math.max(prev, res.committed, s.nextSeq - 1);
    // now and then the server acknowledges everything but the newest few
    if (r % 13 === 12 && all.length > 10) s.ack(all[all.length - 10]!.seq);
    await s.close();
    if (process.env.TORTURE_TIMING) console.log(`lane ${lane} round ${r}: child ${tB - tA} ms, check ${Date.now() - tB} ms, ${all.length} records`);
  }
  return { records: n, commitsSeen };
}

describe('spool lock', () => {
  it('a second writer is refused while a live process holds the spool, and takes over once it was killed', async () => {
    const t = tempDir('geostream-spool-lock-');
    cleanups.push(t.cleanup);
    const child = spawn(process.execPath, [cli, 'spool', 'append', '--dir', t.dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const t0 = Date.now();
    while (!/next seq/.test(err) && Date.now() - t0 < CHILD_WAIT_MS) await sleep(5);
    await expect(Spool.open({ dir: t.dir })).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
    child.kill('SIGKILL');
    await exited;
    const s = await Spool.open({ dir: t.dir });
    await s.close();
  });
});

describe('spool flush on SIGTERM', () => {
  it('commits everything appended before a SIGTERM, prints the last committed seq, and exits 0', async () => {
    const t = tempDir('geostream-spool-sigterm-');
    cleanups.push(t.cleanup);
    // a long commit interval: without the signal handler nothing would be committed yet
    const child = spawn(process.execPath, [cli, 'spool', 'append', '--dir', t.dir, '--commit-ms', '60000'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const t0 = Date.now();
    while (!/next seq/.test(err) && Date.now() - t0 < CHILD_WAIT_MS) await sleep(5);
    for (let i = 0; i < 100; i++) child.stdin.write(`${line(i)}\n`);
    // give the child time to read the lines (usually all 100), then stop it
    await sleep(300);
    expect(out).toBe(''); // nothing committed yet: the 60 s interval has not passed
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const last = Number(/committed (\d+)\s*$/.exec(out)?.[1]);
    expect(last).toBeGreaterThan(0);
    const s = ReadOnlySpool.open({ dir: t.dir });
    expect(s.read(0, 1000).map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    s.close();
  });
});

describe('spool crash torture', () => {
  it(`every committed record survives ${ROUNDS} SIGKILLs at random moments, intact and in order`, async () => {
    const per = Math.ceil(ROUNDS / PARALLEL);
    const results = await Promise.all(Array.from({ length: PARALLEL }, (_, lane) => torture(per, lane)));
    // the rounds did real work: commits were seen in most rounds
    const commits = results.reduce((k, r) => k + r.commitsSeen, 0);
    expect(commits).toBeGreaterThan(ROUNDS * 0.6);
  }, 600_000);
});
