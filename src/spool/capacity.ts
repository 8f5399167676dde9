import { THIN_MAX_K, TMP_SUFFIX } from './constants.js';
import { writeAll, type SpoolFs } from './fs.js';
import { buildSegment, segmentRecords, type Rec } from './rewrite.js';
import type { SegmentInfo } from './segment-info.js';

export interface CapacityPlan {
  seg: SegmentInfo;
  /** the rewritten file (thinning, repair) or null (the whole segment is dropped) */
  rewrite: { bytes: Uint8Array; info: SegmentInfo } | null;
}

export interface CapacityInput {
  segments: readonly SegmentInfo[];
  /** the segment being written (never a victim) */
  active: SegmentInfo | null;
  acked: number;
  capacityBytes: number;
  /** bytes about to be written */
  incoming: number;
  spoolId: string;
  readFile(path: string): Uint8Array;
  /** a record the plan removes (the caller counts it and notes it for a gap marker) */
  lose(r: Rec, reason: 'thinned' | 'dropped'): void;
}

/**
 * When the segments plus the incoming bytes exceed capacityBytes: thin the oldest
 * unacknowledged data first, keeping 1 record in 2 of a segment each pass (its K doubles:
 * the segment holds 1 in K of its original records), always picking the segment with the
 * smallest K, oldest first, so K grows with the pressure; once every closed segment is at
 * THIN_MAX_K, drop the oldest. Gap markers are never thinned (a dropped segment's gap markers
 * fold into the new one through lose()). Acknowledged records go for free.
 */
export function planCapacity(i: CapacityInput): CapacityPlan[] {
  let total = i.segments.reduce((n, s) => n + s.size, 0) + i.incoming;
  const plans: CapacityPlan[] = [];
  const done = new Set<SegmentInfo>();
  while (total > i.capacityBytes) {
    const candidates = i.segments.filter((s) => s !== i.active && !done.has(s));
    if (candidates.length === 0) break;
    const minK = Math.min(...candidates.map((s) => s.thinK));
    const victim = minK < THIN_MAX_K ? candidates.find((s) => s.thinK === minK)! : candidates[0]!;
    done.add(victim);
    const recs = segmentRecords(i.readFile(victim.path), victim).filter((r) => r.seq > i.acked);
    if (minK >= THIN_MAX_K || recs.length === 0) {
      for (const r of recs) i.lose(r, 'dropped');
      plans.push({ seg: victim, rewrite: null });
      total -= victim.size;
      continue;
    }
    const keep: Rec[] = [];
    let k = 0;
    for (const r of recs) {
      if (r.kind === 'gap' || k++ % 2 === 0) keep.push(r);
      else i.lose(r, 'thinned');
    }
    const rw = buildSegment(victim.path, victim.nameSeq, i.spoolId, Math.min(255, victim.thinK * 2), victim.afterSeq, keep);
    plans.push({ seg: victim, rewrite: rw });
    total -= victim.size - rw.info.size;
  }
  return plans;
}

/**
 * Carries out one plan: the rewritten segment goes to a temp file, is fsynced and renamed over
 * the old one; a dropped segment is unlinked. The caller fsyncs the directory afterwards.
 * Returns the bytes written.
 */
export function applyPlan(fs: SpoolFs, p: CapacityPlan): number {
  if (!p.rewrite) {
    fs.unlinkSync(p.seg.path);
    return 0;
  }
  const tmp = p.seg.path + TMP_SUFFIX;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fs, fd, p.rewrite.bytes, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, p.seg.path);
  return p.rewrite.bytes.length;
}
