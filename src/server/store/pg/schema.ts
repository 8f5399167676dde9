import type pg from 'pg';
import { COLUMN_NAMES, COLUMN_TYPES } from '../columns.js';

/**
 * The ingest database on PostgreSQL: the tables, keys and meanings of the SQLite
 * schema (docs/DATA.md), with PostgreSQL's types: REAL is DOUBLE PRECISION (REAL
 * there is 4 bytes and would lose lat/lon digits), INTEGER is BIGINT (fault bits are
 * a uint32, times are ms), payloads are BYTEA. Version in table `geostream_schema`.
 */
export const PG_SCHEMA_VERSION = 1;

export const PG_TYPES = { REAL: 'DOUBLE PRECISION', INTEGER: 'BIGINT', TEXT: 'TEXT' } as const;
/** Array type of each decoded column, for unnest() parameters. */
export const PG_ARRAY_TYPES = { REAL: 'float8[]', INTEGER: 'int8[]', TEXT: 'text[]' } as const;

const decoded = COLUMN_NAMES.map((n) => `  ${n} ${PG_TYPES[COLUMN_TYPES[n]]}`).join(',\n');

const TABLES_SQL = `
CREATE TABLE IF NOT EXISTS geostream_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  device      TEXT   NOT NULL,
  spool       TEXT   NOT NULL,
  seq         BIGINT NOT NULL,
  time_ms     BIGINT NOT NULL,
  payload     BYTEA  NOT NULL,
  received_ms BIGINT NOT NULL,
${decoded},
  PRIMARY KEY (device, spool, seq)
);
CREATE TABLE IF NOT EXISTS gaps (
  device       TEXT   NOT NULL,
  spool        TEXT   NOT NULL,
  seq          BIGINT NOT NULL,
  from_seq     BIGINT NOT NULL,
  to_seq       BIGINT NOT NULL,
  from_time_ms BIGINT NOT NULL,
  to_time_ms   BIGINT NOT NULL,
  lost         BIGINT NOT NULL,
  received_ms  BIGINT NOT NULL,
  reason       TEXT,
  PRIMARY KEY (device, spool, seq)
);
CREATE TABLE IF NOT EXISTS devices (
  device        TEXT PRIMARY KEY,
  records       BIGINT NOT NULL DEFAULT 0,
  duplicates    BIGINT NOT NULL DEFAULT 0,
  gaps          BIGINT NOT NULL DEFAULT 0,
  lost          BIGINT NOT NULL DEFAULT 0,
  handshakes    BIGINT NOT NULL DEFAULT 0,
  path_changes  BIGINT NOT NULL DEFAULT 0,
  last_seen_ms  BIGINT,
  firmware      TEXT,
  last_spool    TEXT,
  last_seq      BIGINT,
  last_time_ms  BIGINT,
  last_lat7     BIGINT,
  last_lon7     BIGINT,
  last_close    TEXT,
  pos_spool     TEXT,
  pos_seq       BIGINT,
  pos_time_ms   BIGINT
);
CREATE TABLE IF NOT EXISTS link_events (
  device   TEXT   NOT NULL,
  n        BIGINT NOT NULL,
  at_ms    BIGINT NOT NULL,
  kind     TEXT   NOT NULL,
  count    BIGINT,
  detail   TEXT,
  until_ms BIGINT,
  PRIMARY KEY (device, n)
);
CREATE INDEX IF NOT EXISTS link_events_device_time ON link_events (device, at_ms);
${COLUMN_NAMES.map((n) => `ALTER TABLE records ADD COLUMN IF NOT EXISTS ${n} ${PG_TYPES[COLUMN_TYPES[n]]};`).join('\n')}
CREATE INDEX IF NOT EXISTS records_device_time ON records (device, time_ms, spool, seq);
CREATE INDEX IF NOT EXISTS gaps_device_time ON gaps (device, from_time_ms, spool, seq);
`;

/** Any number works; every geostream process takes the same one while it creates or checks the schema. */
const SCHEMA_LOCK = 0x67656f73;

/**
 * Creates the schema if missing (two ingest processes starting together take turns
 * under an advisory lock) and checks its version; a newer one is refused. Columns
 * added to the record schema since the tables were made are added (NULL in older rows).
 */
export async function pgMigrate(c: pg.ClientBase, where: string): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const v = await pgSchemaVersion(c);
    if (v !== null && v > PG_SCHEMA_VERSION) throw new Error(`${where}: database schema ${v} is newer than this server's (${PG_SCHEMA_VERSION})`);
    await c.query(TABLES_SQL);
    if (v === null) await c.query('INSERT INTO geostream_schema (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The schema version, or null when the database has no geostream tables yet. */
export async function pgSchemaVersion(c: pg.ClientBase | pg.Pool): Promise<number | null> {
  const t = await c.query("SELECT to_regclass('geostream_schema') IS NOT NULL AS here");
  if (!(t.rows[0] as { here: boolean }).here) return null;
  const r = await c.query('SELECT max(version) AS v FROM geostream_schema');
  const v = (r.rows[0] as { v: number | null }).v;
  return v === null ? null : Number(v);
}
