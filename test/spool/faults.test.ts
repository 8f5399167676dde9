import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/spool/index.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { FaultyFs, T0, expectIntact, memoryLogger, payloadFor, sleep, tempDir, type FsOp } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const ALL_WRITES: FsOp[] = ['openSync', 'writeSync', 'fdatasync', 'fsync', 'fsyncSync', 'renameSync', 'ftruncateSync', 'unlinkSync'];

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(5);
  }
}

function setup(extra: Record<string, unknown> = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const fs = new FaultyFs();
  const status = new StatusBoard();
  const { log, lines } = memoryLogger();
  const opts = { dir: t.dir, fs, status, log, segmentBytes: 16384, capacityBytes: 1 << 20, commitIntervalMs: 10, retryMinMs: 20, retryMaxMs: 160, ...extra };
  return { t, fs, status, log, lines, opts };
}


describe.each([
  ['EIO on fdatasync', ['fdatasync'] as FsOp[], 'EIO'],
  ['EROFS on every write', ALL_WRITES, 'EROFS'],
  ['ENOSPC on write', ['writeSync', 'openSync'] as FsOp[], 'ENOSPC'],
])('storage failure: %s', (_name, ops, code) => {
  it('keeps records in memory, raises one storage fault, retries with backoff, then writes everything and loses nothing', async () => {
    const { fs, status, lines, opts } = setup();
    const s = await Spool.open(opts);
    const faults: (string | null)[] = [];
    s.on('fault', (w: string | null) => faults.push(w));
    const commits: number[] = [];
    s.on('commit', (q: number) => commits.push(q));
    const bySeq = new Map<number, number>();
    let n = 0;
    const add = (k: number) => {
      for (let i = 0; i < k; i++, n++) bySeq.set(s.append(payloadFor(n), T0 + n * 100), n);
    };
    add(300);
    await s.flush();
    expect(s.durableSeq).toBe(300);

    fs.failOn(ops, code);
    add(300);
    await s.flush(); // resolves: a storage fault is not the caller's crash
    expect(s.fault).toMatch(new RegExp(code));
    expect(status.snapshot().faults.storage).toMatch(new RegExp(code));
    expect(s.durableSeq).toBe(300);
    // while failing: records stay readable from memory (covered by the seq lease), for the link to send
    expect(s.read(0, 1e9).length).toBe(600);
    expect(s.committedSeq).toBe(600);
    expect(commits[commits.length - 1]).toBe(600); // the link is told to send them
    expect(s.durableSeq).toBe(300);
    s.ack(450); // the server stored some of them: they need no disk any more
    expect(s.ackedSeq).toBe(450);
    expect(status.snapshot().backlog).toBe(150);
    expect(s.backlog).toBe(150);
    const injectedBefore = fs.injected;
    for (let k = 0; k < 10; k++) {
      add(20); // appends never throw
      await sleep(30);
    }
    // backoff: 20, 40, 80, 160, 160 ms ... -> a handful of attempts in 300 ms, not one per append
    const attempts = fs.injected - injectedBefore;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(8 * ops.length);
    // one log line for the state change, however many retries failed
    expect(lines.filter((l) => l.startsWith('storage') && l.includes('failed')).length).toBe(1);

    fs.heal();
    await until(() => s.durableSeq >= n);
    expect(s.fault).toBeNull();
    expect(status.snapshot().faults.storage).toBeUndefined();
    expect(faults).toEqual([expect.stringMatching(code), null]);
    expect(lines.filter((l) => /storage failed .* -> ok/.test(l)).length).toBe(1);
    await s.close();

    const s2 = await Spool.open({ dir: opts.dir, segmentBytes: 16384, capacityBytes: 1 << 20 });
    const all = s2.read(0, 1e9);
    expect(all.filter((e) => e.kind === 'data').length).toBe(n - 450); // everything not acknowledged
    expect(all.filter((e) => e.kind === 'gap')).toEqual([]);
    expectIntact(all, bySeq);
    await s2.close();
  });
});

describe('storage failure, bounded memory', () => {
  it('overflows the memory ring into a gap marker with the exact count, never unbounded memory', async () => {
    const { fs, opts } = setup({ ringBytes: 16384 });
    const s = await Spool.open(opts);
    fs.failOn(ALL_WRITES, 'EIO');
    const bySeq = new Map<number, number>();
    for (let i = 0; i < 2000; i++) bySeq.set(s.append(payloadFor(i), T0 + i * 100), i);
    expect(s.stats().pendingRecords).toBeLessThan(16384 / 40);
    fs.heal();
    await s.flush();
    await until(() => s.fault === null && s.stats().pendingRecords === 0);
    const all = s.read(0, 1e9);
    const data = all.filter((e) => e.kind === 'data');
    const gaps = all.filter((e) => e.kind === 'gap');
    expect(gaps.length).toBeGreaterThanOrEqual(1);
    expect(gaps.every((g) => g.gap!.reason === 'ring')).toBe(true);
    const lost = gaps.reduce((k, g) => k + g.gap!.lost, 0);
    expect(data.length + lost).toBe(2000);
    // the oldest were dropped: what is kept is the newest, without holes
    expect(data[data.length - 1]!.seq).toBe(2000);
    expect(data[data.length - 1]!.seq - data[0]!.seq).toBe(data.length - 1);
    expectIntact(all, bySeq);
    await s.close();
  });

  it('opens on read-only storage in fault mode instead of throwing, and recovers when writes work', async () => {
    const { fs, status, opts } = setup();
    const s0 = await Spool.open(opts);
    s0.append(payloadFor(0), T0);
    await s0.close();
    fs.failOn(ALL_WRITES, 'EROFS');
    const s = await Spool.open(opts);
    expect(s.fault).toMatch(/EROFS/);
    expect(status.faulted).toBe(true);
    expect(s.read(0, 10).length).toBe(1); // what was on disk is still readable
    const seq = s.append(payloadFor(1), T0 + 1);
    expect(seq).toBeGreaterThan(1);
    fs.heal();
    await until(() => s.durableSeq >= seq);
    expect(s.read(0, 10).map((e) => e.seq)).toEqual([1, seq]);
    await s.close();
  });

  it('EIO on read does not throw at the link: it raises the storage fault and delivers what it could read', async () => {
    const { fs, status, opts } = setup();
    const s = await Spool.open(opts);
    for (let i = 0; i < 50; i++) s.append(payloadFor(i), T0 + i);
    await s.flush();
    fs.failOn(['readSync'], 'EIO');
    expect(() => s.read(0, 100)).not.toThrow();
    expect(status.snapshot().faults.storage).toMatch(/EIO/);
    fs.heal();
    s.append(payloadFor(50), T0 + 50);
    await until(() => s.fault === null && s.durableSeq === 51); // the retry commits and clears it
    expect(s.read(0, 100)).toHaveLength(51);
    await s.close();
  });

  it('fsync "always" survives EIO inside append (no throw) and commits on its own after healing', async () => {
    const { fs, opts } = setup({ fsync: 'always', cursorIntervalMs: 0 });
    const s = await Spool.open(opts);
    expect(s.append(payloadFor(0), T0)).toBe(1);
    expect(s.durableSeq).toBe(1); // durable before append returned
    fs.failOn(['fsyncSync', 'fdatasync'], 'EIO');
    expect(() => s.append(payloadFor(1), T0 + 1)).not.toThrow();
    expect(s.durableSeq).toBe(1);
    fs.heal();
    await until(() => s.durableSeq === 2);
    // durable on return even while the ack cursor is being written in the background
    s.ack(2);
    for (let i = 0; i < 20; i++) {
      const q = s.append(payloadFor(10 + i), T0 + 10 + i);
      expect(s.durableSeq).toBe(q);
      if (i % 5 === 0) s.ack(q);
      await sleep(1);
    }
    await s.close();
  });
});
