import type Database from 'better-sqlite3';
import { gapFromRow, positionFromRow } from '../store/columns.js';
import type { TrackItem } from '../store/query.js';

/**
 * The forwarding outbox: a row per newly stored record or gap, written by triggers
 * inside the ingest transaction that stores it, so a record is in the outbox exactly
 * when it is committed (a SIGKILL loses neither; a duplicate the store ignores fires
 * no trigger). Rows are deleted once the receiver acknowledged them. `id` is the
 * commit order; ids in the outbox are contiguous (rows leave only from the front).
 *
 * Bounded: with more than `maxRows` waiting, each new row pushes out the oldest, in
 * the same transaction, and `forward_meta.dropped` counts it (durable, never reset),
 * so a receiver that is gone for days costs a fixed amount of disk, and what it
 * missed is a number the server logs and every later POST carries.
 */
const OUTBOX_SQL = `
CREATE TABLE IF NOT EXISTS forward_outbox (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  kind    INTEGER NOT NULL,
  device  TEXT    NOT NULL,
  spool   TEXT    NOT NULL,
  seq     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS forward_meta (dropped INTEGER NOT NULL);
INSERT INTO forward_meta (dropped) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM forward_meta);
`;
const boundSql = (maxRows: number) => `
DROP TRIGGER IF EXISTS forward_bound;
CREATE TRIGGER forward_bound AFTER INSERT ON forward_outbox
BEGIN
  UPDATE forward_meta SET dropped = dropped + (SELECT COUNT(*) FROM forward_outbox WHERE id = NEW.id - ${maxRows});
  DELETE FROM forward_outbox WHERE id = NEW.id - ${maxRows};
END;
`;

/** Rows the outbox holds at most by default (about 0.4 GB; 55 min of 3,000 vehicles at 1 Hz). */
export const DEFAULT_OUTBOX_MAX_ROWS = 10_000_000;
const TRIGGERS_SQL = `
CREATE TRIGGER IF NOT EXISTS forward_records AFTER INSERT ON records
BEGIN INSERT INTO forward_outbox (kind, device, spool, seq) VALUES (0, NEW.device, NEW.spool, NEW.seq); END;
CREATE TRIGGER IF NOT EXISTS forward_gaps AFTER INSERT ON gaps
BEGIN INSERT INTO forward_outbox (kind, device, spool, seq) VALUES (1, NEW.device, NEW.spool, NEW.seq); END;
`;

export interface OutboxEntry {
  id: number;
  /** null: the record or gap was removed (retention) before it was delivered. */
  item: TrackItem | null;
}

type Maybe<T> = T | Promise<T>;

/** The outbox as the forwarder uses it: the SQLite one answers at once, the PostgreSQL one over the network. */
export interface ForwardOutbox {
  readonly maxRows: number;
  /** Rows waiting (an upper bound where ids have holes). */
  readonly pending: Maybe<number>;
  /** Rows that left undelivered, ever (durable). */
  readonly dropped: Maybe<number>;
  /** Up to about `limit` of the oldest entries (after `afterId` where the outbox can tell). */
  next(afterId: number, limit: number): Maybe<OutboxEntry[]>;
  /** Forgets these entries (the receiver has them); those without an item count as dropped. */
  delivered(entries: readonly OutboxEntry[]): Maybe<void>;
  /** Whether this process is the one that forwards from this database now (absent: always). */
  claim?(): Maybe<boolean>;
}

export class Outbox implements ForwardOutbox {
  private readonly page: Database.Statement;
  private readonly gapPage: Database.Statement;
  private readonly del: (id: number, missing: number) => void;
  private readonly count: Database.Statement;
  private readonly droppedQ: Database.Statement;

  private constructor(
    db: Database.Database,
    readonly maxRows: number,
  ) {
    this.page = db.prepare(`SELECT o.id AS outbox_id, r.* FROM forward_outbox o LEFT JOIN records r ON r.device = o.device AND r.spool = o.spool AND r.seq = o.seq
      WHERE o.kind = 0 AND o.id > ? ORDER BY o.id LIMIT ?`);
    this.gapPage = db.prepare(`SELECT o.id AS outbox_id, g.* FROM forward_outbox o LEFT JOIN gaps g ON g.device = o.device AND g.spool = o.spool AND g.seq = o.seq
      WHERE o.kind = 1 AND o.id > ? ORDER BY o.id LIMIT ?`);
    const del = db.prepare('DELETE FROM forward_outbox WHERE id <= ?');
    const drop = db.prepare('UPDATE forward_meta SET dropped = dropped + ?');
    this.del = db.transaction((id: number, missing: number) => {
      del.run(id);
      if (missing > 0) drop.run(missing);
    });
    this.count = db.prepare('SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM forward_outbox').pluck();
    this.droppedQ = db.prepare('SELECT dropped FROM forward_meta').pluck();
  }

  /**
   * Turns forwarding on: the tables and triggers (a writable connection), holding at
   * most `maxRows`; an outbox over that (a smaller bound than the last run's) is cut
   * to it at once, the oldest first, and counted as dropped.
   */
  static enable(db: Database.Database, opts: { maxRows?: number } = {}): Outbox {
    const maxRows = opts.maxRows ?? DEFAULT_OUTBOX_MAX_ROWS;
    if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new RangeError(`outbox maxRows must be a positive integer, got ${maxRows}`);
    db.transaction(() => {
      db.exec(OUTBOX_SQL + TRIGGERS_SQL + boundSql(maxRows));
      const cut = db.prepare('SELECT MAX(id) - ? AS cut FROM forward_outbox').get(maxRows) as { cut: number | null };
      if (cut.cut !== null && cut.cut > 0) {
        const n = db.prepare('DELETE FROM forward_outbox WHERE id <= ?').run(cut.cut).changes;
        db.prepare('UPDATE forward_meta SET dropped = dropped + ?').run(n);
      }
    })();
    return new Outbox(db, maxRows);
  }

  /**
   * Turns forwarding off (the server runs without --forward): the triggers go, so the
   * outbox stops growing; what it holds stays for a later --forward. Returns that count.
   */
  static disable(db: Database.Database): number {
    db.exec('DROP TRIGGER IF EXISTS forward_records; DROP TRIGGER IF EXISTS forward_gaps; DROP TRIGGER IF EXISTS forward_bound;');
    const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forward_outbox'").get();
    return t ? (db.prepare('SELECT COUNT(*) FROM forward_outbox').pluck().get() as number) : 0;
  }

  /** Rows waiting (two index lookups, whatever the size). */
  get pending(): number {
    return this.count.get() as number;
  }

  /**
   * Rows that left undelivered since forwarding was first enabled on this database: pushed
   * out by the bound, or whose record or gap retention removed before it was delivered.
   */
  get dropped(): number {
    return this.droppedQ.get() as number;
  }

  /**
   * Up to about `limit` entries after `afterId`, in commit order (records, with the gaps
   * among them); `item` is null where the record or gap is gone (removed by retention).
   */
  next(afterId: number, limit: number): OutboxEntry[] {
    const gone = (r: Record<string, unknown>) => r.device === null || r.device === undefined;
    const recs = (this.page.all(afterId, limit) as Record<string, unknown>[]).map((r) => ({ id: Number(r.outbox_id), item: gone(r) ? null : { kind: 'position' as const, ...positionFromRow(r) } }));
    const gaps = (this.gapPage.all(afterId, limit) as Record<string, unknown>[]).map((r) => ({ id: Number(r.outbox_id), item: gone(r) ? null : { kind: 'gap' as const, ...gapFromRow(r) } }));
    if (gaps.length === 0) return recs;
    // a full page may stop short of the other's ids: keep only what both pages cover
    const cut = Math.min(recs.length === limit ? recs[recs.length - 1]!.id : Infinity, gaps.length === limit ? gaps[gaps.length - 1]!.id : Infinity);
    return [...recs, ...gaps].filter((e) => e.id <= cut).sort((a, b) => a.id - b.id);
  }

  /**
   * Forgets everything up to and including the last of `entries` (the receiver has them:
   * ids are contiguous, so that is exactly these); those without an item count as dropped.
   */
  delivered(entries: readonly OutboxEntry[]): void {
    if (entries.length === 0) return;
    this.del(entries[entries.length - 1]!.id, entries.filter((e) => e.item === null).length);
  }
}
