import { COLUMN_NAMES, COLUMN_TYPES } from './columns.js';

/**
 * The ingest database (SQLite, WAL). Records are keyed by (device, spool, seq):
 * a retransmission hits the key and is counted as a duplicate, never stored twice.
 * Each record is decoded once at ingest into typed columns (NULL where absent); the
 * raw payload is kept beside them. docs/DATA.md documents every column.
 * Bumping SCHEMA_VERSION needs a migration step in store-migrate.ts.
 */
export const SCHEMA_VERSION = 4;

/** `lat REAL, lon REAL, ...`: the decoded columns of `records`. */
export const DECODED_COLUMNS_SQL = COLUMN_NAMES.map((n) => `  ${n.padEnd(12)} ${COLUMN_TYPES[n]}`).join(',\n');

/** Indexes of schema 2 and later (also made by the migration from 1). */
export const INDEX_SQL = `
CREATE INDEX IF NOT EXISTS records_device_time ON records (device, time_ms);
CREATE INDEX IF NOT EXISTS gaps_device_time ON gaps (device, from_time_ms);
`;

/**
 * Schema 3: each vehicle's link as the server saw it (server time): connects, disconnects
 * with their reason, path changes, resends (records received again), gap markers. `n`
 * counts each vehicle's events; the store keeps the newest LINK_EVENTS_PER_VEHICLE.
 */
export const LINK_EVENTS_SQL = `
CREATE TABLE IF NOT EXISTS link_events (
  device   TEXT    NOT NULL,
  n        INTEGER NOT NULL,
  at_ms    INTEGER NOT NULL,
  kind     TEXT    NOT NULL,
  count    INTEGER,
  detail   TEXT,
  until_ms INTEGER,
  PRIMARY KEY (device, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS link_events_device_time ON link_events (device, at_ms);
`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS records (
  device      TEXT    NOT NULL,
  spool       TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  time_ms     INTEGER NOT NULL,
  payload     BLOB    NOT NULL,
  received_ms INTEGER NOT NULL,
${DECODED_COLUMNS_SQL},
  PRIMARY KEY (device, spool, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS gaps (
  device       TEXT    NOT NULL,
  spool        TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  from_seq     INTEGER NOT NULL,
  to_seq       INTEGER NOT NULL,
  from_time_ms INTEGER NOT NULL,
  to_time_ms   INTEGER NOT NULL,
  lost         INTEGER NOT NULL,
  received_ms  INTEGER NOT NULL,
  reason       TEXT,
  PRIMARY KEY (device, spool, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS devices (
  device        TEXT PRIMARY KEY,
  records       INTEGER NOT NULL DEFAULT 0,
  duplicates    INTEGER NOT NULL DEFAULT 0,
  gaps          INTEGER NOT NULL DEFAULT 0,
  lost          INTEGER NOT NULL DEFAULT 0,
  handshakes    INTEGER NOT NULL DEFAULT 0,
  path_changes  INTEGER NOT NULL DEFAULT 0,
  last_seen_ms  INTEGER,
  firmware      TEXT,
  last_spool    TEXT,
  last_seq      INTEGER,
  last_time_ms  INTEGER,
  last_lat7     INTEGER,
  last_lon7     INTEGER,
  last_close    TEXT,
  pos_spool     TEXT,
  pos_seq       INTEGER,
  pos_time_ms   INTEGER
);
${INDEX_SQL}${LINK_EVENTS_SQL}`;
