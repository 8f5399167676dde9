import { join } from 'node:path';
import { CURSOR_FILE, TMP_SUFFIX } from './constants.js';
import { fsyncDir, writeAll, type SpoolFs } from './fs.js';

/** Loss counters kept for the spool's whole life (persisted with the cursor). */
export interface LossTotals {
  /** data records lost (capacity drops, corrupt blocks, memory-ring overflow) */
  dropped: number;
  /** data records removed by thinning */
  thinned: number;
  /** bytes skipped because they failed their CRC (bit rot, not torn tails) */
  corruptBytes: number;
  /** bytes cut off torn segment tails at recovery (writes a crash interrupted) */
  tornBytes: number;
}

/**
 * The cursor file: the spool's identity, the cumulative ack and the seq lease, replaced
 * atomically (temp file, fsync, rename, fsync of the directory).
 *
 * The seq lease: every seq handed out is below `lease`, and the lease is made durable before
 * seqs come near it. After a crash the next seq is at least the lease, so a seq that the server
 * may have seen (a record later cut from a corrupt tail, or held only in the memory ring) is
 * never given to a different record. A clean close() writes lease = nextSeq so seqs stay dense.
 */
export interface CursorState {
  spoolId: string;
  acked: number;
  lease: number;
  totals: LossTotals;
}

export function emptyTotals(): LossTotals {
  return { dropped: 0, thinned: 0, corruptBytes: 0, tornBytes: 0 };
}

/** Parses the cursor file; returns a reason string when it is unusable. */
export function parseCursor(text: string): CursorState | string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof o !== 'object' || o === null) return 'not an object';
  const r = o as Record<string, unknown>;
  if (r.v !== 1) return `unsupported version ${JSON.stringify(r.v)}`;
  if (typeof r.spoolId !== 'string' || !/^[0-9a-f]{32}$/.test(r.spoolId)) return 'bad spoolId';
  const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!int(r.acked) || !int(r.lease)) return 'bad acked or lease';
  const t = (r.totals ?? {}) as Record<string, unknown>;
  const totals = emptyTotals();
  for (const k of Object.keys(totals) as (keyof LossTotals)[]) if (int(t[k])) totals[k] = t[k] as number;
  return { spoolId: r.spoolId, acked: r.acked as number, lease: r.lease as number, totals };
}

/** One JSON line; zero totals are left out (it is rewritten every 30 s: every byte is flash wear). */
export function serializeCursor(c: CursorState): Uint8Array {
  const totals = Object.fromEntries(Object.entries(c.totals).filter(([, v]) => v !== 0));
  return Buffer.from(`${JSON.stringify({ v: 1, spoolId: c.spoolId, acked: c.acked, lease: c.lease, ...(Object.keys(totals).length ? { totals } : {}) })}\n`);
}

/** Writes the cursor atomically; returns the bytes written (for write amplification). */
export async function writeCursor(fs: SpoolFs, dir: string, c: CursorState): Promise<number> {
  const bytes = serializeCursor(c);
  const tmp = join(dir, CURSOR_FILE + TMP_SUFFIX);
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fs, fd, bytes, 0);
    await fs.fsync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, join(dir, CURSOR_FILE));
  await fsyncDir(fs, dir);
  return bytes.length;
}
