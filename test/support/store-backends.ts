import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/server/store/store.js';
import { PgStore } from '../../src/server/store/pg/store.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import type { PayloadDecoder } from '../../src/server/store/migrate.js';
import { pgUnavailable, startPgCluster, type PgCluster } from './pg-cluster.js';

export interface Backend {
  name: 'sqlite' | 'postgresql';
  /** Why this backend cannot run here (the suite is skipped and says so), or null. */
  unavailable: string | null;
  /** A new empty database: a SQLite file, or a database on the throwaway PostgreSQL cluster. */
  newDb(): Promise<string>;
  open(db: string, opts?: { decode?: PayloadDecoder; clock?: () => number; linkEventsPerVehicle?: number }): Promise<IngestStore>;
  /** Breaks the database under the store (drops `devices`), so the next commit fails. */
  sabotage(s: IngestStore): Promise<void>;
}

/**
 * The two ingest databases, for suites that must pass on both. Call inside a
 * describe: the PostgreSQL cluster is started in its beforeAll and removed after.
 */
export function storeBackends(): Backend[] {
  const dirs: string[] = [];
  let cluster: PgCluster | null = null;
  let n = 0;
  const pgReason = pgUnavailable();
  beforeAll(async () => {
    if (!pgReason) cluster = await startPgCluster();
  }, 60_000);
  afterAll(async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    await cluster?.stop();
  });
  return [
    {
      name: 'sqlite',
      unavailable: null,
      async newDb() {
        const d = mkdtempSync(join(tmpdir(), 'gs-store-'));
        dirs.push(d);
        return join(d, 'ingest.db');
      },
      open: async (db, opts) => Store.open(db, opts),
      async sabotage(s) {
        (s as Store).db.exec('DROP TABLE devices');
      },
    },
    {
      name: 'postgresql',
      unavailable: pgReason,
      newDb: () => cluster!.database(`gs_test_${process.pid}_${++n}`),
      open: (db, opts) => PgStore.open(db, opts),
      async sabotage(s) {
        await (s as PgStore).pool.query('DROP TABLE devices');
      },
    },
  ];
}

/** `name`, with the reason when the backend is skipped. */
export const backendTitle = (b: Backend) => (b.unavailable ? `${b.name} (skipped: ${b.unavailable})` : b.name);
