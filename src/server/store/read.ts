import type Database from 'better-sqlite3';
import { COLUMN_NAMES, gapFromRow, POSITION_SELECT, positionFromRow, positionItemFromValues, positionItemsOf, positionSelectOf, type ColumnName } from './columns.js';
import type { GapRow, Position, TrackItem, TrackOptions, VehicleSummary } from './query.js';
import { mergeTrack, mergeTrackPages, type PageQuery } from './track.js';

type Row = Record<string, unknown>;

/**
 * Rows per track page when the caller does not say: a page here is a short synchronous
 * query, cheap to start, and a small one keeps few rows alive across the young-generation
 * collections a long export runs through (a day's GeoJSON spends a third less in GC
 * than with pages of 2000).
 */
const PAGE_ROWS = 500;

/** A page of positions after (time_ms, spool, seq), before a time, at most LIMIT rows; `select` is the column list. */
const recPageSql = (select: string) => `SELECT ${select} FROM records WHERE device = ? AND (time_ms, spool, seq) > (?, ?, ?) AND time_ms < ? ORDER BY time_ms, spool, seq LIMIT ?`;

/** Statements kept for column subsets (TrackOptions.columns); past this many the oldest is dropped. */
const SUBSET_STATEMENTS = 8;

/** Every vehicle with its latest position; the PostgreSQL store runs the same query. */
export const VEHICLE_SQL = `SELECT d.device, d.records, d.duplicates, d.gaps, d.lost, d.handshakes, d.path_changes, d.last_seen_ms, d.firmware, d.last_close,
  r.spool, r.seq, r.time_ms, r.received_ms, ${COLUMN_NAMES.map((n) => `r.${n}`).join(', ')}
  FROM devices d LEFT JOIN records r ON r.device = d.device AND r.spool = d.pos_spool AND r.seq = d.pos_seq`;

export function vehicleFromRow(r: Row): VehicleSummary {
  return {
    device: r.device as string,
    latest: r.seq === null || r.seq === undefined ? null : positionFromRow(r),
    records: Number(r.records),
    duplicates: Number(r.duplicates),
    gaps: Number(r.gaps),
    lost: Number(r.lost),
    handshakes: Number(r.handshakes),
    pathChanges: Number(r.path_changes),
    lastSeenMs: r.last_seen_ms === null ? null : Number(r.last_seen_ms),
    firmware: (r.firmware as string | null) ?? null,
    lastClose: (r.last_close as string | null) ?? null,
  };
}

/**
 * Read queries on the SQLite store. Each page is one short synchronous query; between
 * pages the event loop runs, so a month-long export never holds up ingest for long.
 */
export class SqliteReader {
  private readonly all: Database.Statement;
  private readonly one: Database.Statement;
  private readonly recPage: Database.Statement;
  private readonly gapPage: Database.Statement;
  private readonly subsets = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.all = db.prepare(`${VEHICLE_SQL} ORDER BY d.device`);
    this.one = db.prepare(`${VEHICLE_SQL} WHERE d.device = ?`);
    this.recPage = db
      .prepare(recPageSql(POSITION_SELECT))
      .raw(true);
    this.gapPage = db.prepare(`SELECT * FROM gaps WHERE device = ? AND (from_time_ms, spool, seq) > (?, ?, ?) AND from_time_ms < ? AND to_time_ms >= ?
      ORDER BY from_time_ms, spool, seq LIMIT ?`);
  }

  vehicles(): VehicleSummary[] {
    return (this.all.all() as Row[]).map(vehicleFromRow);
  }

  vehicle(device: string): VehicleSummary | null {
    const r = this.one.get(device) as Row | undefined;
    return r ? vehicleFromRow(r) : null;
  }

  track(device: string, fromMs: number, toMs: number, opts: TrackOptions = {}): AsyncGenerator<TrackItem> {
    return mergeTrack(fromMs, { ...opts, pageRows: opts.pageRows ?? PAGE_ROWS }, ...this.pageQueries(device, fromMs, toMs, opts.columns));
  }

  trackPages(device: string, fromMs: number, toMs: number, opts: TrackOptions = {}): AsyncGenerator<TrackItem[]> {
    return mergeTrackPages(fromMs, { ...opts, pageRows: opts.pageRows ?? PAGE_ROWS }, ...this.pageQueries(device, fromMs, toMs, opts.columns));
  }

  /** The page statement for a column subset, prepared once. */
  private subsetPage(columns: readonly ColumnName[]): Database.Statement {
    const select = positionSelectOf(columns);
    let st = this.subsets.get(select);
    if (!st) {
      if (this.subsets.size >= SUBSET_STATEMENTS) this.subsets.delete(this.subsets.keys().next().value!);
      st = this.db.prepare(recPageSql(select)).raw(true);
      this.subsets.set(select, st);
    }
    return st;
  }

  private pageQueries(device: string, fromMs: number, toMs: number, columns?: readonly ColumnName[]): [PageQuery<{ kind: 'position' } & Position>, PageQuery<{ kind: 'gap' } & GapRow>] {
    const page = columns ? this.subsetPage(columns) : this.recPage;
    const item = columns ? positionItemsOf(columns, device) : positionItemFromValues;
    return [
      (k, n) => (page.all(device, k.t, k.spool, k.seq, toMs, n) as unknown[][]).map(item),
      (k, n) => (this.gapPage.all(device, k.t, k.spool, k.seq, toMs, fromMs, n) as Row[]).map((r) => ({ kind: 'gap' as const, ...gapFromRow(r) })),
    ];
  }
}
