import type { LossTotals } from './cursor.js';
import type { SpoolEntry } from './reader.js';
import type { SegmentInfo } from './segment-info.js';
import type { WriteCounters } from './state.js';

export interface SpoolStats {
  spoolId: string;
  dir: string;
  /** records stored and not yet acknowledged (data + gap markers), on disk and in memory */
  records: number;
  dataRecords: number;
  gapRecords: number;
  /** bytes of all segment files */
  bytes: number;
  segments: number;
  oldestSeq: number | null;
  newestSeq: number | null;
  oldestTimeMs: number | null;
  newestTimeMs: number | null;
  ackedSeq: number;
  committedSeq: number;
  nextSeq: number;
  /** gap markers stored, and the data records they report lost */
  gaps: number;
  gapLost: number;
  /** life totals: records dropped (capacity, corruption, memory ring) and thinned */
  dropped: number;
  thinned: number;
  corruptBytes: number;
  tornBytes: number;
  /** records waiting in memory (not yet durable) */
  pendingRecords: number;
  /** since this process opened the spool */
  bytesWritten: number;
  payloadBytesAppended: number;
  fsyncs: number;
  commits: number;
  fault: string | null;
}

/** What stats() reports beyond the entries it reads. */
export interface StatsInput {
  spoolId: string;
  dir: string;
  read(from: number, max: number): SpoolEntry[];
  acked: number;
  committed: number;
  next: number;
  segments: readonly SegmentInfo[];
  totals: LossTotals;
  /** records held in memory that read() does not return */
  unreadable: number;
  /** records held in memory */
  pending: number;
  stat: WriteCounters;
  fault: string | null;
}

/** Counts by reading every unacknowledged record: O(records), for the CLI and tests (the backlog is the cheap count). */
export function spoolStats(i: StatsInput): SpoolStats {
  const { data, gaps, gapLost, oldest, newest } = scanEntries(i.read, i.acked + 1);
  return {
    spoolId: i.spoolId,
    dir: i.dir,
    records: data + gaps + i.unreadable,
    dataRecords: data,
    gapRecords: gaps,
    bytes: i.segments.reduce((n, s) => n + s.size, 0),
    segments: i.segments.length,
    oldestSeq: oldest?.seq ?? null,
    newestSeq: newest?.seq ?? null,
    oldestTimeMs: oldest?.timeMs ?? null,
    newestTimeMs: newest?.timeMs ?? null,
    ackedSeq: i.acked,
    committedSeq: i.committed,
    nextSeq: i.next,
    gaps,
    gapLost,
    dropped: i.totals.dropped,
    thinned: i.totals.thinned,
    corruptBytes: i.totals.corruptBytes,
    tornBytes: i.totals.tornBytes,
    pendingRecords: i.pending,
    bytesWritten: i.stat.bytesWritten,
    payloadBytesAppended: i.stat.payloadBytes,
    fsyncs: i.stat.fsyncs,
    commits: i.stat.commits,
    fault: i.fault,
  };
}

/** Walks the entries from `from` on, in batches, counting data and gap markers. */
function scanEntries(read: (from: number, max: number) => SpoolEntry[], from: number) {
  let data = 0;
  let gaps = 0;
  let gapLost = 0;
  let oldest: SpoolEntry | null = null;
  let newest: SpoolEntry | null = null;
  for (;;) {
    const batch = read(from, 4096);
    if (batch.length === 0) break;
    for (const e of batch) {
      if (e.kind === 'gap') {
        gaps++;
        gapLost += e.gap?.lost ?? 0;
      } else data++;
    }
    oldest ??= batch[0]!;
    newest = batch[batch.length - 1]!;
    from = newest.seq + 1;
  }
  return { data, gaps, gapLost, oldest, newest };
}
