import pg from 'pg';
import type { GapFrame } from '../../../protocol/messages.js';
import type { SeqRange } from '../../../protocol/ranges.js';
import type { StoredView } from '../../../protocol/server-core.js';
import { deviceStatsFromRow, type DeviceStats, type IngestStore } from '../ingest.js';
import { COLUMN_NAMES, COLUMN_TYPES, columnsOf, type ColumnValue } from '../columns.js';
import { QueuedStore, type DeviceNote } from '../queue.js';
import type { LinkEventsAnswer, TrackItem, TrackOptions, VehicleSummary } from '../query.js';
import { PgLinkEvents } from './events.js';
import { deviceParams, tallyBatches, type Pending, type StoreEntry, type Tally } from '../tally.js';
import { decodeTelemetry } from '../store.js';
import type { PayloadDecoder } from '../migrate.js';
import { PG_ARRAY_TYPES, PG_SCHEMA_VERSION, pgMigrate, pgSchemaVersion } from './schema.js';
import { PgReader } from './read.js';
import { redactUrl } from './url.js';

const cols = COLUMN_NAMES.join(', ');
const colArrays = COLUMN_NAMES.map((n, i) => `$${i + 7}::${PG_ARRAY_TYPES[COLUMN_TYPES[n]]}`).join(', ');

/** One multi-row INSERT per commit: every parameter is an array (unnest), so a commit is one round trip whatever its size. */
const INSERT_RECORDS = `INSERT INTO records (device, spool, seq, time_ms, payload, received_ms, ${cols})
  SELECT u.d, u.s, u.q, u.t, decode(u.p, 'hex'), $6::bigint, ${COLUMN_NAMES.map((n) => `u.${n}`).join(', ')}
  FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], ${colArrays}) AS u(d, s, q, t, p, ${cols})
  ON CONFLICT DO NOTHING RETURNING device, spool, seq`;

const INSERT_GAPS = `INSERT INTO gaps (device, spool, seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, received_ms, reason)
  SELECT u.d, u.s, u.q, u.fs, u.ts, u.ft, u.tt, u.l, $9::bigint, u.r
  FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $10::text[]) AS u(d, s, q, fs, ts, ft, tt, l, r)
  ON CONFLICT DO NOTHING RETURNING device, spool, seq`;

/** The SQLite upsert of store.ts in PostgreSQL's words (EXCLUDED is this commit's tally; SET reads the row as it was). */
const newer = 'EXCLUDED.pos_time_ms IS NOT NULL AND (d.pos_time_ms IS NULL OR EXCLUDED.pos_time_ms >= d.pos_time_ms)';
const higher = 'EXCLUDED.last_seq > 0 AND (d.last_spool IS DISTINCT FROM EXCLUDED.last_spool OR EXCLUDED.last_seq > COALESCE(d.last_seq, 0))';
const higherPos = '(d.last_spool IS DISTINCT FROM EXCLUDED.last_spool OR EXCLUDED.last_seq >= COALESCE(d.last_seq, 0))';
const UPSERT_DEVICES = `INSERT INTO devices AS d (device, records, duplicates, gaps, lost, last_seen_ms, last_spool, last_seq, last_time_ms, last_lat7, last_lon7, pos_spool, pos_seq, pos_time_ms)
  SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::text[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::text[], $13::int8[], $14::int8[])
  ON CONFLICT (device) DO UPDATE SET records = d.records + EXCLUDED.records, duplicates = d.duplicates + EXCLUDED.duplicates, gaps = d.gaps + EXCLUDED.gaps, lost = d.lost + EXCLUDED.lost,
    pos_spool = CASE WHEN ${newer} THEN EXCLUDED.pos_spool ELSE d.pos_spool END,
    pos_seq = CASE WHEN ${newer} THEN EXCLUDED.pos_seq ELSE d.pos_seq END,
    pos_time_ms = CASE WHEN ${newer} THEN EXCLUDED.pos_time_ms ELSE d.pos_time_ms END,
    last_seen_ms = GREATEST(d.last_seen_ms, EXCLUDED.last_seen_ms),
    last_spool = CASE WHEN EXCLUDED.last_seq > 0 THEN EXCLUDED.last_spool ELSE d.last_spool END,
    last_seq = CASE WHEN ${higher} THEN EXCLUDED.last_seq ELSE d.last_seq END,
    last_time_ms = CASE WHEN ${higher} THEN EXCLUDED.last_time_ms ELSE d.last_time_ms END,
    last_lat7 = CASE WHEN EXCLUDED.last_lat7 IS NOT NULL AND ${higherPos} THEN EXCLUDED.last_lat7 ELSE d.last_lat7 END,
    last_lon7 = CASE WHEN EXCLUDED.last_lon7 IS NOT NULL AND ${higherPos} THEN EXCLUDED.last_lon7 ELSE d.last_lon7 END`;

/** A commit's device notes, summed per device (handshakes and path changes counted, the latest firmware and close reason kept). */
const UPSERT_NOTES = `INSERT INTO devices AS d (device, handshakes, path_changes, firmware, last_close, last_seen_ms)
  SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::int8[])
  ON CONFLICT (device) DO UPDATE SET handshakes = d.handshakes + EXCLUDED.handshakes, path_changes = d.path_changes + EXCLUDED.path_changes,
    firmware = COALESCE(EXCLUDED.firmware, d.firmware), last_close = COALESCE(EXCLUDED.last_close, d.last_close),
    last_seen_ms = GREATEST(d.last_seen_ms, EXCLUDED.last_seen_ms)`;

const LOOKUP_HIGH = `SELECT GREATEST((SELECT max(seq) FROM records WHERE device = $1 AND spool = $2), (SELECT max(seq) FROM gaps WHERE device = $1 AND spool = $2)) AS m`;
/** Stored seqs in (acked, head] as ranges, computed by the database (runs of consecutive seqs), at most $5 of them. */
const LOOKUP_RANGES = `SELECT min(seq) AS a, max(seq) AS b FROM (
    SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run FROM (
      SELECT seq FROM records WHERE device = $1 AND spool = $2 AND seq > $3 AND seq <= $4
      UNION SELECT seq FROM gaps WHERE device = $1 AND spool = $2 AND seq > $3 AND seq <= $4) s) t
  GROUP BY run ORDER BY a LIMIT $5`;

/** SQLSTATEs after which the whole transaction is simply run again (two ingest processes crossing). */
const RETRY_CODES = new Set(['40P01', '40001']);
const RETRIES = 5;

/** A prepared statement (parsed and planned once per connection, not at every commit). */
const named = (name: string, text: string, values: unknown[]): pg.QueryConfig => ({ name, text, values });

const key = (device: string, spool: string, seq: number | string) => `${device}\u0000${spool}\u0000${seq}`;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

interface Row {
  p: Pending;
  e: StoreEntry;
  cols: ColumnValue[];
}

/**
 * The ingest store on a PostgreSQL server (`--db postgres://...`), for fleets beyond
 * one machine; several ingest processes may share one database. A group commit is
 * one transaction of a few statements, each carrying every row of the commit as
 * arrays; `INSERT ... ON CONFLICT DO NOTHING RETURNING` tells new rows from
 * duplicates, so a record is stored once whichever process received it. COMMIT
 * returns when PostgreSQL has made it durable (synchronous_commit as the server
 * has it: on by default), and only then are the batches acked.
 */
export class PgStore extends QueuedStore implements IngestStore {
  private readonly reader: PgReader;
  private readonly events: PgLinkEvents;

  private constructor(
    readonly pool: pg.Pool,
    private readonly decode: PayloadDecoder,
    clock: () => number,
    linkEventsPerVehicle?: number,
  ) {
    super(clock);
    this.reader = new PgReader(pool);
    this.events = new PgLinkEvents(linkEventsPerVehicle);
  }

  /** Connects, creates the schema if missing (store-migrate's job for SQLite) and checks its version. */
  static async open(url: string, opts: { decode?: PayloadDecoder; clock?: () => number; readOnly?: boolean; poolSize?: number; linkEventsPerVehicle?: number } = {}): Promise<PgStore> {
    // A database that stops answering fails the commit (the sessions close, the vehicles resend
    // later) instead of holding it forever; a COMMIT that lands after the timeout was never acked.
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 4, application_name: 'geostream', connectionTimeoutMillis: 10_000, query_timeout: 60_000, keepAlive: true });
    // an idle connection the server dropped: the next query reconnects; never an uncaught error
    pool.on('error', () => {});
    const where = redactUrl(url);
    try {
      const c = await pool.connect().catch((err: Error) => {
        throw new Error(`${where}: cannot connect to PostgreSQL (${err.message})`, { cause: err });
      });
      try {
        if (opts.readOnly) {
          const v = await pgSchemaVersion(c);
          if (v !== PG_SCHEMA_VERSION) throw new Error(`${where}: database schema ${v ?? 'none'} is not this program's (${PG_SCHEMA_VERSION}); start 'geostream server' on it once to create it`);
        } else await pgMigrate(c, where);
      } finally {
        c.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PgStore(pool, opts.decode ?? decodeTelemetry, opts.clock ?? Date.now, opts.linkEventsPerVehicle);
  }

  async commit(): Promise<number> {
    if (this.q.empty) return 0;
    const { batch, notes, count } = this.q.take();
    const now = this.clock();
    const rows: Row[] = [];
    for (const p of batch) for (const e of p.entries) rows.push({ p, e, cols: columnsOf(e.record ?? this.decode(e.payload)) });
    const c = await this.pool.connect();
    try {
      for (let attempt = 1; ; attempt++) {
        const committed = this.q.listening ? [] : null;
        try {
          const seqs = await this.write(c, batch, rows, notes, now, committed);
          this.q.committed(batch, seqs, committed);
          return count;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => {});
          if (attempt >= RETRIES || !RETRY_CODES.has((err as { code?: string }).code ?? '')) throw err;
        }
      }
    } finally {
      c.release();
    }
  }

  private async write(c: pg.PoolClient, batch: Pending[], rows: Row[], notes: DeviceNote[], now: number, committed: TrackItem[] | null): Promise<Map<Pending, number[]>> {
    await c.query('BEGIN');
    if (notes.length > 0) await c.query(named('gs_notes', UPSERT_NOTES, notesParams(notes)));
    const newRecords = rows.length > 0 ? await keysOf(c.query(named('gs_records', INSERT_RECORDS, recordParams(rows, now)))) : new Set<string>();
    const gapRows = batch.flatMap((p) => p.gaps.map((g) => ({ p, g })));
    const newGaps = gapRows.length > 0 ? await keysOf(c.query(named('gs_gaps', INSERT_GAPS, gapParams(gapRows, now)))) : new Set<string>();
    // the first occurrence of a key in this commit is the one stored; any later one is a duplicate
    const first = (set: Set<string>, k: string) => set.delete(k);
    let i = 0;
    const { seqs, tallies } = tallyBatches(batch, now, () => rows[i++]!.cols, {
      record: (p, e) => first(newRecords, key(p.device, p.spool, e.seq)),
      gap: (p, g) => first(newGaps, key(p.device, p.spool, g.seq)),
    }, committed);
    if (tallies.size > 0) await c.query(named('gs_devices', UPSERT_DEVICES, devicesParams(tallies, now)));
    await this.events.write(c, notes, tallies, now);
    await c.query('COMMIT');
    return seqs;
  }

  async lookup(device: string, spool: string, acked: number, head: number, maxRanges: number): Promise<StoredView> {
    const h = await this.pool.query(LOOKUP_HIGH, [device, spool]);
    const high = Number((h.rows[0] as { m: string | null }).m ?? 0);
    const stored: SeqRange[] = [];
    if (head > acked) {
      const r = await this.pool.query(LOOKUP_RANGES, [device, spool, acked, head, maxRanges]);
      for (const x of r.rows as { a: string; b: string }[]) stored.push([Number(x.a), Number(x.b)]);
    }
    return { high, stored };
  }

  async stats(): Promise<DeviceStats[]> {
    const r = await this.pool.query('SELECT * FROM devices ORDER BY device');
    return (r.rows as Record<string, unknown>[]).map(deviceStatsFromRow);
  }

  async seqs(device: string, spool?: string): Promise<number[]> {
    const r = spool
      ? await this.pool.query('SELECT seq FROM records WHERE device = $1 AND spool = $2 ORDER BY seq', [device, spool])
      : await this.pool.query('SELECT seq FROM records WHERE device = $1 ORDER BY spool, seq', [device]);
    return (r.rows as { seq: string }[]).map((x) => Number(x.seq));
  }

  vehicles(): Promise<VehicleSummary[]> {
    return this.reader.vehicles();
  }

  vehicle(device: string): Promise<VehicleSummary | null> {
    return this.reader.vehicle(device);
  }

  track(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<TrackItem> {
    return this.reader.track(device, fromMs, toMs, opts);
  }

  trackPages(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<readonly TrackItem[]> {
    return this.reader.trackPages(device, fromMs, toMs, opts);
  }

  linkEvents(device: string, fromMs: number, toMs: number, limit: number): Promise<LinkEventsAnswer> {
    return this.events.read(this.pool, device, fromMs, toMs, limit);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function keysOf(q: Promise<pg.QueryResult>): Promise<Set<string>> {
  const r = await q;
  return new Set((r.rows as { device: string; spool: string; seq: string }[]).map((x) => key(x.device, x.spool, x.seq)));
}

/** Key order (stable: among equal keys the first stays first): two processes inserting overlapping rows wait for each other in one order, never in a cycle. */
function byKey<T>(rows: T[], k: (r: T) => [string, string, number]): T[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows
    .map((r) => ({ r, k: k(r) }))
    .sort((a, b) => cmp(a.k[0], b.k[0]) || cmp(a.k[1], b.k[1]) || a.k[2] - b.k[2])
    .map((x) => x.r);
}

function recordParams(unsorted: Row[], now: number): unknown[] {
  const rows = byKey(unsorted, (r) => [r.p.device, r.p.spool, r.e.seq]);
  const colArr = COLUMN_NAMES.map((_, j) => rows.map((r) => r.cols[j]));
  return [rows.map((r) => r.p.device), rows.map((r) => r.p.spool), rows.map((r) => r.e.seq), rows.map((r) => r.e.timeMs), rows.map((r) => hex(r.e.payload)), now, ...colArr];
}

function gapParams(unsorted: { p: Pending; g: GapFrame }[], now: number): unknown[] {
  const rows = byKey(unsorted, (r) => [r.p.device, r.p.spool, r.g.seq]);
  const g = (f: (x: GapFrame) => unknown) => rows.map((r) => f(r.g));
  return [rows.map((r) => r.p.device), rows.map((r) => r.p.spool), g((x) => x.seq), g((x) => x.fromSeq), g((x) => x.toSeq), g((x) => x.fromTimeMs), g((x) => x.toTimeMs), g((x) => x.lost), now, g((x) => x.reason ?? null)];
}

/** One array per column, devices in name order (two processes lock rows in the same order). */
function devicesParams(tallies: Map<string, Tally>, now: number): unknown[] {
  const ps = byKey([...tallies], ([d]) => [d, '', 0]).map(([d, t]) => deviceParams(d, t, now));
  const names = ['device', 'records', 'duplicates', 'gaps', 'lost', 'now', 'spool', 'lastSeq', 'lastTime', 'lat7', 'lon7', 'posSpool', 'posSeq', 'posTime'];
  return names.map((n) => ps.map((p) => p[n]));
}

function notesParams(notes: DeviceNote[]): unknown[] {
  const by = new Map<string, { handshakes: number; paths: number; firmware: string | null; close: string | null; at: number }>();
  for (const n of notes) {
    let d = by.get(n.device);
    if (!d) by.set(n.device, (d = { handshakes: 0, paths: 0, firmware: null, close: null, at: n.at }));
    d.at = Math.max(d.at, n.at);
    if (n.kind === 'handshake') {
      d.handshakes++;
      d.firmware = n.firmware;
    } else if (n.kind === 'path') d.paths++;
    else d.close = n.why.slice(0, 300);
  }
  const ds = byKey([...by], ([d]) => [d, '', 0]);
  return [ds.map(([k]) => k), ds.map(([, d]) => d.handshakes), ds.map(([, d]) => d.paths), ds.map(([, d]) => d.firmware), ds.map(([, d]) => d.close), ds.map(([, d]) => d.at)];
}
