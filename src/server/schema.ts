/**
 * The ingest database (SQLite, WAL). Records are keyed by (device, spool, seq):
 * a retransmission hits the key and is counted as a duplicate, never stored twice.
 * Bumping SCHEMA_VERSION needs a migration step in store.ts.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS records (
  device      TEXT    NOT NULL,
  spool       TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  time_ms     INTEGER NOT NULL,
  payload     BLOB    NOT NULL,
  received_ms INTEGER NOT NULL,
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
  last_close    TEXT
);
`;
