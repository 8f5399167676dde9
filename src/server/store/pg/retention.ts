import type pg from 'pg';
import type { Removed, RetentionTarget } from '../retention.js';
import { inTransaction } from './transaction.js';

/** The SQLite statements of retention.ts in PostgreSQL's words (IS there is IS NOT DISTINCT FROM here). */
const DEL_RECORDS = `DELETE FROM records WHERE device = $1 AND (spool, seq) IN (
  SELECT r.spool, r.seq FROM records r LEFT JOIN devices d ON d.device = r.device
  WHERE r.device = $1 AND r.time_ms < $2 AND NOT (r.spool IS NOT DISTINCT FROM d.pos_spool AND r.seq IS NOT DISTINCT FROM d.pos_seq) LIMIT $3)`;
const DEL_GAPS = `DELETE FROM gaps WHERE device = $1 AND (spool, seq) IN (
  SELECT spool, seq FROM gaps WHERE device = $1 AND from_time_ms < $2 AND to_time_ms < $2 LIMIT $3)`;
const DEL_EVENTS = 'DELETE FROM link_events WHERE device = $1 AND n IN (SELECT n FROM link_events WHERE device = $1 AND at_ms < $2 LIMIT $3)';

/**
 * Retention's statements on a PostgreSQL ingest database. A step is one transaction on
 * one pooled connection, committed with synchronous_commit off for that transaction
 * only (a delete lost to a crash is redone at the next pass; ingest's COMMITs still wait
 * for durability). Each statement sees the data as committed when it starts, so a
 * vehicle's newest position is the one `devices` names then, and a record an ingest
 * process commits meanwhile is never among those removed. Several ingest processes on
 * one database may each run retention: a row already removed by another is skipped.
 */
export class PgRetention implements RetentionTarget {
  constructor(private readonly pool: pg.Pool) {}

  async devices(): Promise<string[]> {
    const r = await this.pool.query<{ device: string }>('SELECT device FROM devices ORDER BY device');
    return r.rows.map((x) => x.device);
  }

  removeOld(device: string, cutoff: number, n: number): Promise<Removed> {
    return inTransaction(this.pool, async (c) => {
      await c.query('SET LOCAL synchronous_commit = off');
      const del = async (name: string, text: string, left: number) => (left > 0 ? ((await c.query({ name, text, values: [device, cutoff, left] })).rowCount ?? 0) : 0);
      const records = await del('gs_ret_records', DEL_RECORDS, n);
      const gaps = await del('gs_ret_gaps', DEL_GAPS, n - records);
      const linkEvents = await del('gs_ret_events', DEL_EVENTS, n - records - gaps);
      return { records, gaps, linkEvents };
    });
  }
}
