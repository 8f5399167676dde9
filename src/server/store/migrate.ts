import type Database from 'better-sqlite3';
import type { TelemetryRecord } from '../../codec/index.js';
import { COLUMN_NAMES, COLUMN_TYPES, columnsOf } from './columns.js';
import { INDEX_SQL, LINK_EVENTS_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

export type PayloadDecoder = (payload: Uint8Array) => TelemetryRecord | null;

/** Rows decoded per transaction while filling the columns of an older database. */
const BACKFILL_ROWS = 5000;

/**
 * Brings the database to SCHEMA_VERSION. A new file gets the schema; a schema-1 file
 * (payload blobs only) gets the decoded columns, a schema-2 file the (empty) link_events
 * table (schema 3), a schema-3 file the CAN bus columns (schema 4); the columns are then
 * filled from the payloads in transactions of BACKFILL_ROWS rows. The position reached is
 * kept in the table `migrate_backfill`, so a migration cut short (power cut, SIGKILL)
 * resumes at the next start where it stopped. Returns the rows decoded.
 */
export function migrate(db: Database.Database, file: string, decode: PayloadDecoder): number {
  let v = db.pragma('user_version', { simple: true }) as number;
  if (v > SCHEMA_VERSION) throw new Error(`${file}: database schema ${v} is newer than this server's (${SCHEMA_VERSION})`);
  const hasRecords = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").get() !== undefined;
  if (v === 0 && hasRecords) v = 1;
  if (v === 0) {
    db.transaction(() => {
      db.exec(SCHEMA_SQL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    return 0;
  }
  if (v === 1) addColumns(db);
  if (v < 3) {
    db.transaction(() => {
      db.exec(LINK_EVENTS_SQL);
      db.pragma('user_version = 3');
    })();
  }
  if (v < 4) addCanColumns(db);
  return backfill(db, decode);
}

/** Adds the decoded columns `records` lacks (COLUMN_NAMES grows with the schema). */
function addMissingColumns(db: Database.Database): void {
  const have = new Set((db.prepare('PRAGMA table_info(records)').all() as { name: string }[]).map((c) => c.name));
  for (const n of COLUMN_NAMES) if (!have.has(n)) db.exec(`ALTER TABLE records ADD COLUMN ${n} ${COLUMN_TYPES[n]}`);
}

/** Marks every row for the backfill, unless a backfill is already pending (it then covers them). */
function startBackfill(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS migrate_backfill (device TEXT NOT NULL, spool TEXT NOT NULL, seq INTEGER NOT NULL);
    INSERT INTO migrate_backfill SELECT '', '', -1 WHERE NOT EXISTS (SELECT 1 FROM migrate_backfill)`);
}

/** Schema 1 -> 2, in one transaction: the columns, and the backfill's start position. */
function addColumns(db: Database.Database): void {
  db.transaction(() => {
    addMissingColumns(db);
    db.exec('ALTER TABLE gaps ADD COLUMN reason TEXT');
    for (const [n, t] of [['pos_spool', 'TEXT'], ['pos_seq', 'INTEGER'], ['pos_time_ms', 'INTEGER']]) db.exec(`ALTER TABLE devices ADD COLUMN ${n} ${t}`);
    startBackfill(db);
    db.pragma('user_version = 2');
  })();
}

/**
 * Schema 3 -> 4, in one transaction: the CAN bus columns (fuel rate ... VIN), filled by the
 * backfill from payloads that carry telemetry version 2's tags 22-28.
 */
function addCanColumns(db: Database.Database): void {
  db.transaction(() => {
    addMissingColumns(db);
    startBackfill(db);
    db.pragma('user_version = 4');
  })();
}

function backfill(db: Database.Database, decode: PayloadDecoder): number {
  const pending = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrate_backfill'").get() !== undefined;
  if (!pending) return 0;
  const at = db.prepare('SELECT device, spool, seq FROM migrate_backfill');
  const page = db.prepare('SELECT device, spool, seq, payload FROM records WHERE (device, spool, seq) > (?, ?, ?) ORDER BY device, spool, seq LIMIT ?');
  const set = db.prepare(`UPDATE records SET ${COLUMN_NAMES.map((n) => `${n} = ?`).join(', ')} WHERE device = ? AND spool = ? AND seq = ?`);
  const move = db.prepare('UPDATE migrate_backfill SET device = ?, spool = ?, seq = ?');
  let total = 0;
  const step = db.transaction((): number => {
    const k = at.get() as { device: string; spool: string; seq: number };
    const rows = page.all(k.device, k.spool, k.seq, BACKFILL_ROWS) as { device: string; spool: string; seq: number; payload: Uint8Array }[];
    for (const r of rows) set.run(...columnsOf(decode(r.payload)), r.device, r.spool, r.seq);
    const last = rows[rows.length - 1];
    if (last) move.run(last.device, last.spool, last.seq);
    return rows.length;
  });
  for (let n = step(); n > 0; n = step()) total += n;
  db.transaction(() => {
    db.exec(INDEX_SQL);
    db.exec(`UPDATE devices SET (pos_spool, pos_seq, pos_time_ms) = (SELECT spool, seq, time_ms FROM records r
      WHERE r.device = devices.device AND r.lat IS NOT NULL AND r.lon IS NOT NULL ORDER BY r.time_ms DESC, r.seq DESC LIMIT 1)`);
    db.exec('DROP TABLE migrate_backfill');
  })();
  return total;
}
