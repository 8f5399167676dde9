import type { TelemetryRecord } from '../../codec/index.js';
import type { BatchEntry, GapFrame } from '../../protocol/messages.js';
import type { SeqRange } from '../../protocol/ranges.js';
import { positionOfValues, type ColumnValue } from './columns.js';
import type { TrackItem } from './query.js';

/**
 * An entry as the session hands it over: a PACKED batch's unpacker has already decoded
 * its records and attaches each one (`record`), so nothing is decoded twice.
 */
export type StoreEntry = BatchEntry & { record?: TelemetryRecord };

export type Done = (ranges: SeqRange[], count: number) => void;

/** One connection's batch waiting for the next group commit. */
export interface Pending {
  device: string;
  spool: string;
  entries: StoreEntry[];
  gaps: GapFrame[];
  done: Done;
}

/** What one commit changes in a vehicle's `devices` row. */
export interface Tally {
  records: number;
  duplicates: number;
  gaps: number;
  lost: number;
  spool: string;
  lastSeq: number;
  lastTime: number;
  /** Position of the highest seq stored in this commit (last_lat7/last_lon7). */
  pos: { lat7: number; lon7: number } | null;
  /** The newest record (by fix time) with a position stored in this commit. */
  latest: { spool: string; seq: number; timeMs: number } | null;
  /** Gap markers stored in this commit (each is a link event). */
  newGaps: GapFrame[];
}

/** How a store writes one row inside its transaction: true if it was new, false if its key was already there. */
export interface RowWriter {
  record(p: Pending, e: StoreEntry, cols: readonly ColumnValue[]): boolean;
  gap(p: Pending, g: GapFrame): boolean;
}

export interface TallyResult {
  /** Per batch, every seq it carried (stored now or before): what its ACK names. */
  seqs: Map<Pending, number[]>;
  tallies: Map<string, Tally>;
}

/**
 * Walks a group commit's batches in order, writing each row through `w` and counting
 * per vehicle what was new, what was a duplicate, and the positions `devices` keeps.
 * `committed`, when given, collects what was new for the commit listeners.
 */
export function tallyBatches(batch: readonly Pending[], now: number, colsOf: (e: StoreEntry) => readonly ColumnValue[], w: RowWriter, committed: TrackItem[] | null): TallyResult {
  const tallies = new Map<string, Tally>();
  const seqs = new Map<Pending, number[]>();
  for (const p of batch) {
    let t = tallies.get(p.device);
    if (!t) tallies.set(p.device, (t = { records: 0, duplicates: 0, gaps: 0, lost: 0, spool: p.spool, lastSeq: 0, lastTime: 0, pos: null, latest: null, newGaps: [] }));
    const out: number[] = [];
    for (const e of p.entries) {
      const cols = colsOf(e);
      out.push(e.seq);
      if (!w.record(p, e, cols)) {
        t.duplicates++;
        continue;
      }
      t.records++;
      const lat = cols[0] as number | null;
      const lon = cols[1] as number | null;
      const pos = lat !== null && lon !== null ? { lat7: Math.round(lat * 1e7), lon7: Math.round(lon * 1e7) } : null;
      if (t.spool !== p.spool || e.seq > t.lastSeq) {
        t.spool = p.spool;
        t.lastSeq = e.seq;
        t.lastTime = e.timeMs;
        if (pos) t.pos = pos;
      }
      if (pos && (!t.latest || e.timeMs >= t.latest.timeMs)) t.latest = { spool: p.spool, seq: e.seq, timeMs: e.timeMs };
      committed?.push({ kind: 'position', ...positionOfValues(p.device, p.spool, e.seq, e.timeMs, now, cols) });
    }
    for (const g of p.gaps) {
      out.push(g.seq);
      if (!w.gap(p, g)) {
        t.duplicates++;
        continue;
      }
      t.gaps++;
      t.lost += g.lost;
      t.newGaps.push(g);
      committed?.push({ kind: 'gap', device: p.device, spool: p.spool, seq: g.seq, fromSeq: g.fromSeq, toSeq: g.toSeq, fromMs: g.fromTimeMs, toMs: g.toTimeMs, lost: g.lost, reason: g.reason ?? null, receivedMs: now });
    }
    seqs.set(p, out);
  }
  return { seqs, tallies };
}

/** A tally as the named parameters of the `devices` upsert. */
export function deviceParams(device: string, t: Tally, now: number): Record<string, string | number | null> {
  return {
    device, records: t.records, duplicates: t.duplicates, gaps: t.gaps, lost: t.lost, now, spool: t.spool, lastSeq: t.lastSeq, lastTime: t.lastTime,
    lat7: t.pos?.lat7 ?? null, lon7: t.pos?.lon7 ?? null, posSpool: t.latest?.spool ?? null, posSeq: t.latest?.seq ?? null, posTime: t.latest?.timeMs ?? null,
  };
}
