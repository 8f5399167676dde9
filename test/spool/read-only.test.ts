import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spool, ReadOnlySpool } from '../../src/spool/index.js';
import { FaultyFs, T0, memoryLogger, payloadFor, sleep, tempDir, type FsOp } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const small = { segmentBytes: 16384, capacityBytes: 1 << 20, commitIntervalMs: 5 };
const WRITES: FsOp[] = ['mkdirSync', 'openSync', 'writeSync', 'ftruncateSync', 'fsyncSync', 'fdatasync', 'fsync', 'renameSync', 'unlinkSync'];

/** Every file of the directory with its bytes. */
function snapshot(d: string): Map<string, string> {
  return new Map(readdirSync(d).sort().map((n) => [n, readFileSync(join(d, n)).toString('hex')]));
}

async function filled(n: number): Promise<string> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = await Spool.open({ dir: t.dir, ...small });
  for (let i = 0; i < n; i++) s.append(payloadFor(i), T0 + i * 1000);
  await s.flush();
  s.ack(100);
  await s.close();
  return t.dir;
}

describe('ReadOnlySpool', () => {
  it('reads past a corrupt block and a torn tail as the writer would, and changes nothing on disk', async () => {
    const d = await filled(1500);
    const segs = readdirSync(d).filter((n) => n.startsWith('seg-')).sort();
    const victim = join(d, segs[1]!);
    const buf = readFileSync(victim);
    buf[6000]! ^= 0x10;
    writeFileSync(victim, buf);
    appendFileSync(join(d, segs[segs.length - 1]!), Buffer.from([0x5a, 0x01, 0x02, 0x03, 0x04]));
    const before = snapshot(d);

    const fs = new FaultyFs();
    fs.failOn(WRITES, 'EROFS'); // any write the view tried would throw and be counted
    const { log, lines } = memoryLogger();
    const v = ReadOnlySpool.open({ dir: d, fs, log });
    const got = v.read(0, 1e9);
    const st = v.stats();
    v.close();
    expect(fs.injected).toBe(0);
    expect(snapshot(d)).toEqual(before);
    expect(v.ackedSeq).toBe(100);
    expect(got[0]!.seq).toBe(101);
    expect(got.every((e) => e.kind === 'data')).toBe(true); // a gap marker is only written by the writer
    expect(st).toMatchObject({ records: got.length, dataRecords: got.length, ackedSeq: 100, bytesWritten: 0, fsyncs: 0, commits: 0, fault: null });
    expect(got.length).toBeLessThan(1400);
    expect(lines.some((l) => /bytes after the last complete frame/.test(l))).toBe(true);
    expect(lines.filter((l) => /bytes skipped \(not delivered\)/.test(l))).toHaveLength(1);

    // the writer delivers the same records (and reports the loss with a gap marker)
    const s = await Spool.open({ dir: d, ...small });
    const w = s.read(0, 1e9);
    expect(w.filter((e) => e.kind === 'data').map((e) => [e.seq, Buffer.from(e.payload).toString('hex')])).toEqual(got.map((e) => [e.seq, Buffer.from(e.payload).toString('hex')]));
    expect(w.filter((e) => e.kind === 'gap').map((e) => e.gap!.reason)).toEqual(['corrupt']);
    await s.close();
  });

  it('a read error stops the read and shows in stats; no retry writes anything', async () => {
    const d = await filled(600);
    const before = snapshot(d);
    const fs = new FaultyFs();
    const v = ReadOnlySpool.open({ dir: d, fs, log: memoryLogger().log });
    fs.failOn(['readSync'], 'EIO');
    fs.failOn(WRITES, 'EROFS');
    expect(v.read(0, 1e9)).toEqual([]);
    expect(v.stats().fault).toMatch(/^EIO \(read .*seg-/);
    await sleep(1200); // past the writer's first retry delay
    fs.failing.delete('readSync');
    expect(v.read(0, 1e9).map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 101 + i));
    v.close();
    expect(fs.injected).toBe(2); // the failed read and the one stats() made: nothing else was tried
    expect(snapshot(d)).toEqual(before);
  });

  it('opens next to a live writer without its lock, and sees what was committed at open', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = await Spool.open({ dir: t.dir, ...small });
    for (let i = 0; i < 50; i++) s.append(payloadFor(i), T0 + i * 1000);
    await s.flush();
    const v = ReadOnlySpool.open({ dir: t.dir });
    for (let i = 50; i < 60; i++) s.append(payloadFor(i), T0 + i * 1000);
    await s.flush();
    expect(v.read(0, 1e9).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(v.stats()).toMatchObject({ records: 50, committedSeq: 50 });
    v.close();
    await s.close();
  });
});
