import type pg from 'pg';
import { gapFromRow, POSITION_SELECT, positionItemFromValues, positionItemsOf, positionSelectOf, type ColumnName } from '../columns.js';
import type { GapRow, Position, TrackItem, TrackOptions, VehicleSummary } from '../query.js';
import { VEHICLE_SQL, vehicleFromRow } from '../read.js';
import { keyAfter, mergeTrack, mergeTrackPages, type PageQuery } from '../track.js';
import { readAhead } from './read-ahead.js';

type Row = Record<string, unknown>;

/** One keyset page of a vehicle's positions (`select`: the column list): after (time_ms, spool, seq) = ($2, $3, $4), before time $5, at most $6 rows. */
const recPageSql = (select: string) => `SELECT ${select} FROM records
  WHERE device = $1 AND (time_ms, spool, seq) > ($2, $3, $4) AND time_ms < $5 ORDER BY time_ms, spool, seq LIMIT $6`;
export const REC_PAGE = recPageSql(POSITION_SELECT);
const GAP_PAGE = `SELECT * FROM gaps WHERE device = $1 AND (from_time_ms, spool, seq) > ($2, $3, $4) AND from_time_ms < $5 AND to_time_ms >= $6
  ORDER BY from_time_ms, spool, seq LIMIT $7`;

/**
 * Read queries on the PostgreSQL store: the SQLite reader's queries, each page one round
 * trip through the pool; a track's positions are read one page ahead.
 */
export class PgReader {
  constructor(private readonly pool: pg.Pool) {}

  async vehicles(): Promise<VehicleSummary[]> {
    return ((await this.pool.query(`${VEHICLE_SQL} ORDER BY d.device`)).rows as Row[]).map(vehicleFromRow);
  }

  async vehicle(device: string): Promise<VehicleSummary | null> {
    const r = (await this.pool.query(`${VEHICLE_SQL} WHERE d.device = $1`, [device])).rows[0] as Row | undefined;
    return r ? vehicleFromRow(r) : null;
  }

  track(device: string, fromMs: number, toMs: number, opts: TrackOptions = {}): AsyncGenerator<TrackItem> {
    return mergeTrack(fromMs, opts, ...this.pageQueries(device, fromMs, toMs, opts.columns));
  }

  trackPages(device: string, fromMs: number, toMs: number, opts: TrackOptions = {}): AsyncGenerator<TrackItem[]> {
    return mergeTrackPages(fromMs, opts, ...this.pageQueries(device, fromMs, toMs, opts.columns));
  }

  private pageQueries(device: string, fromMs: number, toMs: number, columns?: readonly ColumnName[]): [PageQuery<{ kind: 'position' } & Position>, PageQuery<{ kind: 'gap' } & GapRow>] {
    const text = columns ? recPageSql(positionSelectOf(columns)) : REC_PAGE;
    const item = columns ? positionItemsOf(columns, device) : positionItemFromValues;
    return [
      readAhead(
        async (k, n) => ((await this.pool.query({ text, values: [device, k.t, k.spool, k.seq, toMs, n], rowMode: 'array' })).rows as unknown[][]).map(item),
        (p) => keyAfter(p, p.timeMs),
      ),
      async (k, n) => ((await this.pool.query(GAP_PAGE, [device, k.t, k.spool, k.seq, toMs, fromMs, n])).rows as Row[]).map((r) => ({ kind: 'gap' as const, ...gapFromRow(r) })),
    ];
  }
}
