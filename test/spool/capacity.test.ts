import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Spool, type LossEvent, type SpoolEntry } from '../../src/spool/index.js';
import { THIN_MAX_K } from '../../src/spool/constants.js';
import { decodeSegmentHeader } from '../../src/spool/segment.js';
import { T0, payloadFor, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const opts = { segmentBytes: 16384, capacityBytes: 65536, commitIntervalMs: 1000 };

function diskBytes(d: string): number {
  return readdirSync(d)
    .filter((n) => n.startsWith('seg-'))
    .reduce((n, f) => n + statSync(join(d, f)).size, 0);
}

/** appended data = present data + what the present gap markers say was lost: loss is never silent */
function accounting(all: SpoolEntry[], appended: number) {
  const data = all.filter((e) => e.kind === 'data').length;
  const gaps = all.filter((e) => e.kind === 'gap');
  const lost = gaps.reduce((n, g) => n + g.gap!.lost, 0);
  return { data, gaps, lost, appended };
}

describe('spool capacity', () => {
  it('thins the oldest data first with K growing, stays within capacity, and accounts for every lost record in gap markers', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = await Spool.open({ dir: t.dir, ...opts });
    const losses: LossEvent[] = [];
    s.on('loss', (l: LossEvent) => losses.push(l));
    const bySeq = new Map<number, number>();
    let n = 0;
    let maxDisk = 0;
    let firstDrop = -1;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 100; i++, n++) bySeq.set(s.append(payloadFor(n), T0 + n * 1000), n);
      await s.flush();
      maxDisk = Math.max(maxDisk, diskBytes(t.dir));
      if (firstDrop < 0 && losses.some((l) => l.reason === 'dropped')) firstDrop = round;
      const all = s.read(0, 1e9);
      const a = accounting(all, n);
      expect(a.data + a.lost).toBe(n);
      for (const e of all) if (e.kind === 'data') expect(Buffer.from(e.payload).equals(Buffer.from(payloadFor(bySeq.get(e.seq)!)))).toBe(true);
    }
    // one commit's batch (100 records) of slack at most
    expect(maxDisk).toBeLessThanOrEqual(opts.capacityBytes + 100 * 60);
    // thinning came first, with K doubling per pass, before anything was dropped
    expect(losses[0]!.reason).toBe('thinned');
    const ks = readdirSync(t.dir).filter((f) => f.startsWith('seg-')).sort().map((f) => (decodeSegmentHeader(readFileSync(join(t.dir, f))) as { thinK: number }).thinK);
    expect(Math.max(...ks)).toBeGreaterThanOrEqual(4);
    expect(ks[0]!).toBeGreaterThanOrEqual(ks[ks.length - 1]!); // older segments are thinner
    // the newest records are all kept at full rate
    const all = s.read(0, 1e9);
    const newest = all.filter((e) => e.kind === 'data').slice(-100).map((e) => e.seq);
    expect(newest[99]! - newest[0]!).toBe(99);
    const st = s.stats();
    expect(s.backlog).toBe(st.records);
    expect(st.thinned).toBeGreaterThan(0);
    expect(st.thinned + st.dropped).toBe(n - all.filter((e) => e.kind === 'data').length);
    expect(st.gapLost).toBe(st.thinned + st.dropped);
    // gap markers carry time ranges of what they report
    for (const g of all.filter((e) => e.kind === 'gap')) {
      expect(g.gap!.fromTimeMs).toBeLessThanOrEqual(g.gap!.toTimeMs);
      expect(g.gap!.fromSeq).toBeLessThanOrEqual(g.gap!.toSeq);
      expect(g.gap!.toSeq).toBeLessThan(g.seq);
    }
    await s.close();
    // and all of it survives a restart
    const s2 = await Spool.open({ dir: t.dir, ...opts });
    const again = s2.read(0, 1e9);
    expect(again.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(s2.stats().thinned).toBe(st.thinned);
    await s2.close();
  });

  it('drops the oldest segment only once every closed segment is thinned to 1 in THIN_MAX_K, folding older gap markers into the new one', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = await Spool.open({ dir: t.dir, ...opts });
    const losses: LossEvent[] = [];
    s.on('loss', (l: LossEvent) => losses.push(l));
    let n = 0;
    for (let round = 0; round < 400 && !losses.some((l) => l.reason === 'dropped'); round++) {
      for (let i = 0; i < 200; i++, n++) s.append(payloadFor(n), T0 + n * 1000);
      await s.flush();
    }
    const firstDrop = losses.findIndex((l) => l.reason === 'dropped');
    expect(firstDrop).toBeGreaterThan(0);
    const all = s.read(0, 1e9);
    const a = accounting(all, n);
    expect(a.data + a.lost).toBe(n);
    expect(a.gaps.some((g) => g.gap!.reason === 'dropped')).toBe(true);
    expect(THIN_MAX_K).toBe(16);
    await s.close();
  });

  it('acknowledged records are freed before anything unacknowledged is thinned', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = await Spool.open({ dir: t.dir, ...opts, cursorIntervalMs: 0 });
    let n = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++, n++) s.append(payloadFor(n), T0 + n * 1000);
      await s.flush();
      s.ack(s.committedSeq - 50); // the link keeps up
      await s.flush();
      expect(s.backlog).toBe(s.stats().records);
    }
    expect(s.stats().thinned).toBe(0);
    expect(s.stats().dropped).toBe(0);
    expect(diskBytes(t.dir)).toBeLessThanOrEqual(opts.capacityBytes);
    await s.close();
  });
});
