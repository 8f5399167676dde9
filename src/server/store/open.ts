import { Store } from './store.js';
import { PgStore } from './pg/store.js';
import { isPostgresUrl, redactUrl } from './pg/url.js';
import { PgRetention } from './pg/retention.js';
import { Retention, SqliteRetention, type RetentionOptions } from './retention.js';

/** Either ingest database: SQLite (a file) or PostgreSQL (a postgres:// URL). */
export type AnyStore = Store | PgStore;

/** `--db FILE|URL`: a postgres:// or postgresql:// URL is a PostgreSQL server, anything else a SQLite file. */
export function openStore(db: string): Promise<AnyStore> {
  return isPostgresUrl(db) ? PgStore.open(db) : Promise.resolve(Store.open(db));
}

/** The same for the read-only tools (stats, export): nothing is created or migrated. */
export function openStoreReadOnly(db: string): Promise<AnyStore> {
  return isPostgresUrl(db) ? PgStore.open(db, { readOnly: true, poolSize: 2 }) : Promise.resolve(Store.openReadOnly(db));
}

/** The database as logs and messages name it (a URL without its password). */
export function dbLabel(db: string): string {
  return isPostgresUrl(db) ? redactUrl(db) : db;
}

/** Retention (`--keep-days`) on either database. */
export function retentionOf(store: AnyStore, o: RetentionOptions): Retention {
  return new Retention(store instanceof PgStore ? new PgRetention(store.pool) : new SqliteRetention(store.db), o);
}
