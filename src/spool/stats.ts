import type { SpoolEntry } from './reader.js';

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

/** Walks the entries from `from` on, in batches, counting data and gap markers. */
export function scanEntries(read: (from: number, max: number) => SpoolEntry[], from: number) {
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
