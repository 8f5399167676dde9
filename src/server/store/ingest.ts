import type { GapFrame } from '../../protocol/messages.js';
import type { StoredView } from '../../protocol/server-core.js';
import type { StoreQueries } from './query.js';
import type { Done, StoreEntry } from './tally.js';

/** One vehicle's counters as `geostream server stats` prints them (docs/PROTOCOL.md). */
export interface DeviceStats {
  device: string;
  records: number;
  duplicates: number;
  gaps: number;
  lost: number;
  handshakes: number;
  pathChanges: number;
  lastSeen: string | null;
  firmware: string | null;
  lastSeq: number | null;
  lastTime: string | null;
  lastLat7: number | null;
  lastLon7: number | null;
  lastClose: string | null;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A `devices` row (either database; PostgreSQL's BIGINTs arrive as strings) as DeviceStats. */
export function deviceStatsFromRow(r: Record<string, unknown>): DeviceStats {
  return {
    device: r.device as string,
    records: Number(r.records),
    duplicates: Number(r.duplicates),
    gaps: Number(r.gaps),
    lost: Number(r.lost),
    handshakes: Number(r.handshakes),
    pathChanges: Number(r.path_changes),
    lastSeen: iso(r.last_seen_ms),
    firmware: (r.firmware as string | null) ?? null,
    lastSeq: num(r.last_seq),
    lastTime: iso(r.last_time_ms),
    lastLat7: num(r.last_lat7),
    lastLon7: num(r.last_lon7),
    lastClose: (r.last_close as string | null) ?? null,
  };
}

/**
 * What the ingest server needs from its database, implemented by the SQLite store
 * (embedded, synchronous: its results come back at once) and the PostgreSQL store
 * (networked: they come back as Promises). Callers await every result.
 *
 * Records are queued by enqueue() and written by commit() in ONE transaction for
 * everything queued when it was called; each batch's `done` (which sends its ACK) is
 * called only after that transaction is durably committed, and never when it fails.
 * The caller runs one commit at a time; what is enqueued meanwhile waits for the next.
 */
export interface IngestStore extends StoreQueries {
  /** Records (and gaps) waiting for the next commit. */
  readonly queued: number;
  /** Device notes waiting for the next commit. */
  readonly notesQueued: number;
  enqueue(device: string, spool: string, entries: StoreEntry[], gaps: GapFrame[], done: Done): void;
  /** Commits what is queued and acks it; resolves to the records committed. Rejects with nothing acked. */
  commit(): Promise<number>;
  /** Drops what is queued without committing (the connections it came from are gone and will resend). */
  discardQueued(): void;
  /** What WELCOME tells a device: highest stored seq and the stored seqs in (acked, head]. */
  lookup(device: string, spool: string, acked: number, head: number, maxRanges: number): StoredView | Promise<StoredView>;
  /** A session began; `detail` goes to its link event (default: the firmware). */
  noteHandshake(device: string, firmware: string, detail?: string): void;
  /** The client address changed; `detail` goes to its link event. */
  notePathChange(device: string, detail?: string | null): void;
  noteClose(device: string, why: string): void;
  /** Per-vehicle counters, ordered by vehicle id. */
  stats(): DeviceStats[] | Promise<DeviceStats[]>;
  /** Every stored seq of a device, ascending (by spool, then seq). */
  seqs(device: string, spool?: string): number[] | Promise<number[]>;
  close(): void | Promise<void>;
}
