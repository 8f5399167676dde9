import pg from 'pg';
import { gapFromRow, positionFromRow } from '../store/columns.js';
import type { ForwardOutbox, OutboxEntry } from './outbox.js';
import { DEFAULT_OUTBOX_MAX_ROWS } from './outbox.js';
import { inTransaction } from '../store/pg/transaction.js';

/** The statement trigger's function: the statement's new rows of one kind into the outbox, in fix-time order. */
const enqueueFunction = (name: string, kind: number, timeColumn: string) => `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO forward_outbox (kind, device, spool, seq) SELECT ${kind}, device, spool, seq FROM new_rows ORDER BY ${timeColumn}, device, spool, seq;
  PERFORM geostream_forward_bound();
  RETURN NULL;
END $$;`;

const SETUP_SQL = `
CREATE TABLE IF NOT EXISTS forward_outbox (
  id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind   SMALLINT NOT NULL,
  device TEXT     NOT NULL,
  spool  TEXT     NOT NULL,
  seq    BIGINT   NOT NULL
);
CREATE TABLE IF NOT EXISTS forward_meta (dropped BIGINT NOT NULL, max_rows BIGINT NOT NULL);
INSERT INTO forward_meta (dropped, max_rows) SELECT 0, ${DEFAULT_OUTBOX_MAX_ROWS} WHERE NOT EXISTS (SELECT 1 FROM forward_meta);
CREATE OR REPLACE FUNCTION geostream_forward_bound() RETURNS void LANGUAGE plpgsql AS $$
DECLARE lim BIGINT; top BIGINT; n BIGINT;
BEGIN
  SELECT max_rows INTO lim FROM forward_meta;
  SELECT max(id) INTO top FROM forward_outbox;
  DELETE FROM forward_outbox WHERE id <= top - lim;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN UPDATE forward_meta SET dropped = dropped + n; END IF;
  PERFORM pg_notify('geostream_forward', '');
END $$;
${enqueueFunction('geostream_forward_records', 0, 'time_ms')}
${enqueueFunction('geostream_forward_gaps', 1, 'from_time_ms')}
CREATE OR REPLACE TRIGGER forward_records AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geostream_forward_records();
CREATE OR REPLACE TRIGGER forward_gaps AFTER INSERT ON gaps REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geostream_forward_gaps();
`;

/** Any number works: the lock whose holder forwards. */
const FORWARD_LOCK = 0x67736677;
/** Taken while the outbox is set up (two processes starting together take turns). */
const SETUP_LOCK = 0x67737375;

const PAGE = `SELECT id, kind, device, spool, seq FROM forward_outbox ORDER BY id LIMIT $1`;
const RECORDS = `SELECT r.* FROM records r JOIN unnest($1::text[], $2::text[], $3::int8[]) AS k(d, s, q) ON r.device = k.d AND r.spool = k.s AND r.seq = k.q`;
const GAPS = `SELECT g.* FROM gaps g JOIN unnest($1::text[], $2::text[], $3::int8[]) AS k(d, s, q) ON g.device = k.d AND g.spool = k.s AND g.seq = k.q`;

type Row = Record<string, unknown>;
const keyOf = (d: unknown, s: unknown, q: unknown) => `${String(d)}\u0000${String(s)}\u0000${String(q)}`;

/**
 * The forwarding outbox on PostgreSQL: the SQLite outbox's rows and meaning, written
 * by statement triggers (one INSERT per ingest statement, from its transition table)
 * inside the ingest transaction, so a row is in the outbox exactly when its record
 * is committed, whichever ingest process stored it.
 *
 * Several ingest processes may share the database; one of them forwards at a time.
 * It holds a session advisory lock on a connection of its own, and LISTENs there for
 * the triggers' notification, so it wakes on every other process's commit too. When it
 * stops or dies, its session ends, the lock is free, and a process on standby takes over.
 *
 * Ids come from an identity column: with two writers they commit out of order, so a
 * delivered page is deleted by its ids (never "up to an id"), and every page is read
 * from the front; a row committed late behind a delivered one is still sent.
 */
export class PgOutbox implements ForwardOutbox {
  /** The session holding the forwarding lock and listening for commits; null while on standby. */
  private session: pg.Client | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly maxRows: number,
  ) {}

  /**
   * Turns forwarding on for the database: the tables, functions and triggers, holding at
   * most `maxRows` (the bound every process's triggers apply; the last process started
   * sets it); an outbox over it is cut at once, the oldest first, and counted as dropped.
   */
  static async enable(pool: pg.Pool, opts: { maxRows?: number } = {}): Promise<PgOutbox> {
    const maxRows = opts.maxRows ?? DEFAULT_OUTBOX_MAX_ROWS;
    if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new RangeError(`outbox maxRows must be a positive integer, got ${maxRows}`);
    await inTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
      await c.query(SETUP_SQL);
      await c.query('UPDATE forward_meta SET max_rows = $1', [maxRows]);
      await c.query('SELECT geostream_forward_bound()');
    });
    return new PgOutbox(pool, maxRows);
  }

  /** Rows in the outbox now, when it exists (a server without --forward leaves a shared database's forwarding as it is). */
  static async waiting(pool: pg.Pool): Promise<number> {
    const t = await pool.query("SELECT to_regclass('forward_outbox') IS NOT NULL AS here");
    if (!(t.rows[0] as { here: boolean }).here) return 0;
    return Number((await pool.query('SELECT count(*) AS n FROM forward_outbox')).rows[0].n);
  }

  get pending(): Promise<number> {
    return this.pool.query('SELECT COALESCE(max(id) - min(id) + 1, 0) AS n FROM forward_outbox').then((r) => Number(r.rows[0].n));
  }

  get dropped(): Promise<number> {
    return this.pool.query('SELECT dropped FROM forward_meta').then((r) => Number(r.rows[0].dropped));
  }

  /** Called on every commit of any process on the database, while this one forwards. */
  onNotify(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async claim(): Promise<boolean> {
    if (this.session) return true;
    const c = new pg.Client({ ...this.pool.options, application_name: 'geostream forwarder' } as pg.ClientConfig);
    const lost = () => {
      if (this.session === c) this.session = null;
    };
    c.on('error', lost);
    c.on('end', lost);
    try {
      await c.connect();
      const r = await c.query('SELECT pg_try_advisory_lock($1) AS mine', [FORWARD_LOCK]);
      if (!(r.rows[0] as { mine: boolean }).mine) {
        await c.end();
        return false;
      }
      c.on('notification', () => {
        for (const l of this.listeners) l();
      });
      await c.query('LISTEN geostream_forward');
      this.session = c;
      return true;
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
  }

  async next(_afterId: number, limit: number): Promise<OutboxEntry[]> {
    const page = (await this.pool.query(PAGE, [limit])).rows as Row[];
    if (page.length === 0) return [];
    const fetch = async (sql: string, kind: number) => {
      const ks = page.filter((r) => Number(r.kind) === kind);
      if (ks.length === 0) return new Map<string, Row>();
      const rows = (await this.pool.query(sql, [ks.map((r) => r.device), ks.map((r) => r.spool), ks.map((r) => r.seq)])).rows as Row[];
      return new Map(rows.map((r) => [keyOf(r.device, r.spool, r.seq), r]));
    };
    const [records, gaps] = await Promise.all([fetch(RECORDS, 0), fetch(GAPS, 1)]);
    return page.map((o) => {
      const k = keyOf(o.device, o.spool, o.seq);
      const id = Number(o.id);
      if (Number(o.kind) === 0) {
        const r = records.get(k);
        return { id, item: r ? { kind: 'position' as const, ...positionFromRow(r) } : null };
      }
      const g = gaps.get(k);
      return { id, item: g ? { kind: 'gap' as const, ...gapFromRow(g) } : null };
    });
  }

  async delivered(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const missing = entries.filter((e) => e.item === null).length;
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM forward_outbox WHERE id = ANY($1::int8[])', [entries.map((e) => e.id)]);
      if (missing > 0) await c.query('UPDATE forward_meta SET dropped = dropped + $1', [missing]);
    });
  }

  /** Ends the forwarding session (the lock goes to a process on standby). */
  async close(): Promise<void> {
    const c = this.session;
    this.session = null;
    await c?.end().catch(() => {});
  }
}
