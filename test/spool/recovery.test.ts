import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Spool, type SpoolEntry } from '../../src/spool/index.js';
import { SEQ_LEASE_STEP } from '../../src/spool/constants.js';
import { T0, expectIntact, memoryLogger, payloadFor, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const small = { segmentBytes: 16384, capacityBytes: 1 << 20, commitIntervalMs: 5 };

async function fill(d: string, n: number, first = 0): Promise<Map<number, number>> {
  const s = await Spool.open({ dir: d, ...small });
  const bySeq = new Map<number, number>();
  for (let i = first; i < first + n; i++) bySeq.set(s.append(payloadFor(i), T0 + i * 1000), i);
  await s.close();
  return bySeq;
}

function readAll(s: Spool): SpoolEntry[] {
  return s.read(0, 1e9);
}

function segFiles(d: string): string[] {
  return readdirSync(d).filter((n) => n.startsWith('seg-')).sort();
}


describe('spool recovery', () => {
  it('keeps every record and the spoolId across a clean close and reopen', async () => {
    const d = dir();
    const bySeq = await fill(d, 1000);
    const s = await Spool.open({ dir: d, ...small });
    const all = readAll(s);
    expect(all.length).toBe(1000);
    expectIntact(all, bySeq);
    expect(s.nextSeq).toBe(1001); // a clean close keeps seqs dense
    const id = s.spoolId;
    await s.close();
    const s2 = await Spool.open({ dir: d, ...small });
    expect(s2.spoolId).toBe(id);
    expect(JSON.parse(readFileSync(join(d, 'cursor.json'), 'utf8')).spoolId).toBe(id);
    await s2.close();
  });

  it('a torn tail at any offset is cut at the first bad frame and never delivered; writing continues', async () => {
    const base = dir();
    const bySeq = await fill(base, 300);
    const files = segFiles(base);
    const last = files[files.length - 1]!;
    const size = statSync(join(base, last)).size;
    for (let k = 0; k < 40; k++) {
      const d = dir();
      mkdirSync(d, { recursive: true });
      for (const f of [...files, 'cursor.json']) copyFileSync(join(base, f), join(d, f));
      const cut = 32 + Math.floor(((k + 0.5) / 40) * (size - 32));
      truncateSync(join(d, last), cut);
      const { log, lines } = memoryLogger();
      const s = await Spool.open({ dir: d, ...small, log });
      const all = readAll(s);
      expectIntact(all, bySeq);
      // a prefix survives: seqs 1..n without holes
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(lines.some((l) => /corrupt|CRC/.test(l))).toBe(false); // a torn tail is not bit rot
      const seq = s.append(payloadFor(9999), T0);
      expect(seq).toBeGreaterThan(all.length);
      await s.close();
      const s2 = await Spool.open({ dir: d, ...small });
      const again = readAll(s2);
      expect(again.length).toBe(all.length + 1);
      expect(s2.stats().tornBytes).toBe(s.stats().tornBytes); // cut once, not found again
      await s2.close();
    }
  });

  it('a flipped bit in the middle drops at most its block, never delivers it, and reports it once with a gap marker', async () => {
    let rnd = 7;
    for (let round = 0; round < 16; round++) {
      const d = dir();
      const bySeq = await fill(d, 1500);
      const files = segFiles(d);
      const victim = files[rnd % (files.length - 1)]!;
      const buf = readFileSync(join(d, victim));
      rnd = (rnd * 48271) % 2147483647;
      const off = 32 + (rnd % (buf.length - 32));
      buf[off]! ^= 1 << (rnd % 8);
      writeFileSync(join(d, victim), buf);
      const { log, lines } = memoryLogger();
      const s = await Spool.open({ dir: d, ...small, log });
      const all = readAll(s);
      expectIntact(all, bySeq);
      const data = all.filter((e) => e.kind === 'data');
      const gaps = all.filter((e) => e.kind === 'gap');
      if (data.length < 1500) {
        // a block holds about 90 of these records
        expect(1500 - data.length).toBeLessThanOrEqual(100);
        expect(gaps.length).toBe(1);
        const g = gaps[0]!.gap!;
        expect(g.reason).toBe('corrupt');
        expect(g.lost).toBeGreaterThanOrEqual(1500 - data.length);
        const missing = [...bySeq.keys()].filter((q) => !data.some((e) => e.seq === q));
        expect(Math.min(...missing)).toBeGreaterThanOrEqual(g.fromSeq);
        expect(Math.max(...missing)).toBeLessThanOrEqual(g.toSeq);
        expect(lines.filter((l) => /CRC|invalid|bad|runs past|non-zero/.test(l)).length).toBe(1);
        expect(s.stats().corruptBytes).toBeGreaterThan(0);
      } else {
        // the flip hit padding or the header: nothing lost, nothing invented
        expect(gaps.length).toBe(0);
      }
      await s.close();
      // repaired: the next start finds nothing new
      const { log: log2, lines: lines2 } = memoryLogger();
      const s2 = await Spool.open({ dir: d, ...small, log: log2 });
      expect(readAll(s2).length).toBe(all.length);
      expect(lines2.filter((l) => /CRC|invalid|bad|runs past/.test(l))).toEqual([]);
      await s2.close();
    }
  });

  it('bit rot in the segment still being written is reported once, not again at every start', async () => {
    const d = dir();
    const bySeq = await fill(d, 150); // one segment, the active one
    const [only] = segFiles(d);
    const buf = readFileSync(join(d, only!));
    buf[100]! ^= 0x40; // block 0, well before the tail
    writeFileSync(join(d, only!), buf);
    const s = await Spool.open({ dir: d, ...small });
    const gaps = readAll(s).filter((e) => e.kind === 'gap');
    expect(gaps).toHaveLength(1);
    const seq500 = s.append(payloadFor(500), T0);
    expect(seq500).toBeGreaterThan(150);
    await s.close();
    for (let k = 0; k < 2; k++) {
      const { log, lines } = memoryLogger();
      const s2 = await Spool.open({ dir: d, ...small, log });
      expect(readAll(s2).filter((e) => e.kind === 'gap')).toHaveLength(1);
      expect(lines.filter((l) => /CRC|invalid|bad|runs past/.test(l))).toEqual([]);
      expectIntact(readAll(s2), new Map([...bySeq, [seq500, 500]]));
      await s2.close();
    }
  });

  it('bit rot that appears while the spool is open is never delivered and becomes a gap marker', async () => {
    const d = dir();
    const bySeq = await fill(d, 1000);
    const s = await Spool.open({ dir: d, ...small });
    const files = segFiles(d);
    const buf = readFileSync(join(d, files[1]!));
    buf[5000]! ^= 0x01; // block 1 of the second segment
    writeFileSync(join(d, files[1]!), buf);
    const all = readAll(s);
    expectIntact(all, bySeq);
    const missing = 1000 - all.length;
    expect(missing).toBeGreaterThan(0);
    await s.flush(); // the loss is written as a gap marker at the next commit
    const gaps = readAll(s).filter((e) => e.kind === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.gap!.reason).toBe('corrupt');
    expect(gaps[0]!.gap!.lost).toBeGreaterThanOrEqual(missing);
    expect(s.stats().corruptBytes).toBeGreaterThan(0);
    await s.close();
  });

  it('seqs keep increasing after every segment was acknowledged and deleted', async () => {
    const d = dir();
    await fill(d, 500);
    const s = await Spool.open({ dir: d, ...small });
    s.ack(500);
    await s.close();
    expect(segFiles(d).length).toBeLessThanOrEqual(1); // only the last (active) one may stay
    const s2 = await Spool.open({ dir: d, ...small });
    expect(s2.read(0, 10)).toEqual([]);
    expect(s2.append(payloadFor(1), T0)).toBe(501);
    s2.ack(501);
    await s2.close();
    // even when the very last segment is gone too
    for (const f of segFiles(d)) require_unlink(join(d, f));
    const s3 = await Spool.open({ dir: d, ...small });
    expect(s3.nextSeq).toBeGreaterThan(501);
    await s3.close();
  });

  it('a crash (no close) moves the next seq past the lease, so no seq the server saw is reused', async () => {
    const d = dir();
    const s = await Spool.open({ dir: d, ...small });
    for (let i = 0; i < 100; i++) s.append(payloadFor(i), T0 + i);
    await s.flush();
    // simulate the crash: abandon without close, then cut the tail as bit rot could
    const crashedNext = s.nextSeq;
    const s2 = await Spool.open({ dir: d, ...small });
    expect(s2.nextSeq).toBeGreaterThanOrEqual(crashedNext);
    expect(s2.nextSeq).toBeGreaterThanOrEqual(SEQ_LEASE_STEP);
    await s2.close();
  });

  it('refuses a segment from another spool instead of mixing streams', async () => {
    const a = dir();
    const b = dir();
    await fill(a, 10);
    await fill(b, 10);
    copyFileSync(join(a, segFiles(a)[0]!), join(b, 'seg-0000000000000500.log'));
    await expect(Spool.open({ dir: b, ...small })).rejects.toThrow(/belongs to another spool/);
  });
});

function require_unlink(p: string): void {
  writeFileSync(p, '');
  truncateSync(p, 0);
}
