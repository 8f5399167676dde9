import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import { decodeRecord } from '../../codec/index.js';
import type { SeqRange } from '../../protocol/ranges.js';
import type { StoredView } from '../../protocol/server-core.js';
import { COLUMN_NAMES, columnsOf } from './columns.js';
import { deviceParams, tallyBatches, type Pending } from './tally.js';
import { migrate, type PayloadDecoder } from './migrate.js';
import { SqliteReader } from './read.js';
import { gapEvent, SqliteLinkEvents } from './events.js';
import { SCHEMA_VERSION } from './schema.js';
import type { LinkEventsAnswer, TrackItem, TrackOptions, VehicleSummary } from './query.js';
import { deviceStatsFromRow, type DeviceStats, type IngestStore } from './ingest.js';
import { QueuedStore, type DeviceNote } from './queue.js';

export type { StoreEntry } from './tally.js';
export type { DeviceStats } from './ingest.js';

/** The telemetry codec's decoder; null for a payload that is not a telemetry record. */
export const decodeTelemetry: PayloadDecoder = (payload) => {
  try {
    return decodeRecord(payload);
  } catch {
    return null;
  }
};

/**
 * The ingest store. Writes are grouped: enqueue() collects batches from every
 * connection, flush() commits them in ONE transaction and only then calls each
 * batch's `done` (which sends the ACK). synchronous=FULL: a COMMIT is on disk
 * (WAL fsynced) before any ACK leaves, so an acked record survives a power cut.
 */
export class Store extends QueuedStore implements IngestStore {
  private readonly insRecord: Database.Statement;
  private readonly insGap: Database.Statement;
  private readonly upsertDevice: Database.Statement;
  private readonly txn: (batch: Pending[], notes: DeviceNote[], now: number, committed: TrackItem[] | null) => Map<Pending, number[]>;
  private readonly reader: SqliteReader;
  private readonly events: SqliteLinkEvents;

  private constructor(
    readonly db: Database.Database,
    private readonly decode: PayloadDecoder,
    clock: () => number,
    linkEventsPerVehicle?: number,
  ) {
    super(clock);
    const cols = COLUMN_NAMES.join(', ');
    this.insRecord = db.prepare(`INSERT OR IGNORE INTO records (device, spool, seq, time_ms, payload, received_ms, ${cols}) VALUES (${Array(6 + COLUMN_NAMES.length).fill('?').join(', ')})`);
    this.insGap = db.prepare('INSERT OR IGNORE INTO gaps (device, spool, seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, received_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.upsertDevice = db.prepare(`INSERT INTO devices (device, records, duplicates, gaps, lost, last_seen_ms, last_spool, last_seq, last_time_ms, last_lat7, last_lon7, pos_spool, pos_seq, pos_time_ms)
      VALUES (@device, @records, @duplicates, @gaps, @lost, @now, @spool, @lastSeq, @lastTime, @lat7, @lon7, @posSpool, @posSeq, @posTime)
      ON CONFLICT(device) DO UPDATE SET records = records + @records, duplicates = duplicates + @duplicates, gaps = gaps + @gaps, lost = lost + @lost,
        pos_spool = CASE WHEN @posTime IS NOT NULL AND (pos_time_ms IS NULL OR @posTime >= pos_time_ms) THEN @posSpool ELSE pos_spool END,
        pos_seq = CASE WHEN @posTime IS NOT NULL AND (pos_time_ms IS NULL OR @posTime >= pos_time_ms) THEN @posSeq ELSE pos_seq END,
        pos_time_ms = CASE WHEN @posTime IS NOT NULL AND (pos_time_ms IS NULL OR @posTime >= pos_time_ms) THEN @posTime ELSE pos_time_ms END,
        last_seen_ms = @now,
        last_spool = CASE WHEN @lastSeq > 0 THEN @spool ELSE last_spool END,
        last_seq = CASE WHEN @lastSeq > 0 AND (last_spool IS NOT @spool OR @lastSeq > COALESCE(last_seq, 0)) THEN @lastSeq ELSE last_seq END,
        last_time_ms = CASE WHEN @lastSeq > 0 AND (last_spool IS NOT @spool OR @lastSeq > COALESCE(last_seq, 0)) THEN @lastTime ELSE last_time_ms END,
        last_lat7 = CASE WHEN @lat7 IS NOT NULL AND (last_spool IS NOT @spool OR @lastSeq >= COALESCE(last_seq, 0)) THEN @lat7 ELSE last_lat7 END,
        last_lon7 = CASE WHEN @lon7 IS NOT NULL AND (last_spool IS NOT @spool OR @lastSeq >= COALESCE(last_seq, 0)) THEN @lon7 ELSE last_lon7 END`);
    this.txn = db.transaction((batch: Pending[], notes: DeviceNote[], now: number, committed: TrackItem[] | null) => this.write(batch, notes, now, committed));
    this.reader = new SqliteReader(db);
    this.events = new SqliteLinkEvents(db, linkEventsPerVehicle);
  }

  /**
   * Opens (creating mode 0600 if missing) and migrates the database: an older schema is
   * brought to the current one before this returns (store-migrate.ts). `decode` turns a
   * payload into its record (default: the telemetry codec). `linkEventsPerVehicle`: link
   * events kept per vehicle (default LINK_EVENTS_PER_VEHICLE).
   */
  static open(file: string, opts: { decode?: PayloadDecoder; clock?: () => number; linkEventsPerVehicle?: number } = {}): Store {
    const fresh = !existsSync(file);
    const db = new Database(file);
    if (fresh) chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const decode = opts.decode ?? decodeTelemetry;
    try {
      migrate(db, file, decode);
    } catch (err) {
      db.close();
      throw err;
    }
    return new Store(db, decode, opts.clock ?? Date.now, opts.linkEventsPerVehicle);
  }

  /** Opens an existing database read-only (stats, export). It must have the current schema. */
  static openReadOnly(file: string): Store {
    if (!existsSync(file)) throw new Error(`${file}: no such database`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v !== SCHEMA_VERSION || db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'migrate_backfill'").get()) {
      db.close();
      throw new Error(`${file}: database schema ${v} is not this program's (${SCHEMA_VERSION}); start 'geostream server' on it once to migrate it`);
    }
    return new Store(db, decodeTelemetry, Date.now);
  }

  /**
   * Commits everything queued in one transaction, then acks each batch.
   * On a database error nothing is acked and the error is thrown (the batches'
   * devices will resend them on their next connection).
   */
  flush(): number {
    if (this.q.empty) return 0;
    const { batch, notes, count } = this.q.take();
    const committed = this.q.listening ? [] : null;
    const seqs = this.txn(batch, notes, this.clock(), committed);
    if (!this.q.empty) throw new Error('store: enqueue during flush');
    this.q.committed(batch, seqs, committed);
    return count;
  }

  /** flush() as the IngestStore interface has it: done before this returns, so SQLite pays nothing for the Promise. */
  commit(): Promise<number> {
    try {
      return Promise.resolve(this.flush());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private write(batch: Pending[], notes: DeviceNote[], now: number, committed: TrackItem[] | null): Map<Pending, number[]> {
    for (const n of notes) this.writeNote(n);
    const { seqs, tallies } = tallyBatches(batch, now, (e) => columnsOf(e.record ?? this.decode(e.payload)), {
      record: (p, e, cols) => this.insRecord.run(p.device, p.spool, e.seq, e.timeMs, e.payload, now, ...cols).changes > 0,
      gap: (p, g) => this.insGap.run(p.device, p.spool, g.seq, g.fromSeq, g.toSeq, g.fromTimeMs, g.toTimeMs, g.lost, now, g.reason ?? null).changes > 0,
    }, committed);
    for (const [device, t] of tallies) {
      this.upsertDevice.run(deviceParams(device, t, now));
      if (t.duplicates > 0) this.events.resent(device, t.duplicates, now);
      for (const g of t.newGaps) {
        const e = gapEvent(g);
        this.events.add(device, now, 'gap', e.count, e.detail);
      }
    }
    return seqs;
  }

  vehicles(): Promise<VehicleSummary[]> {
    return Promise.resolve(this.reader.vehicles());
  }

  vehicle(device: string): Promise<VehicleSummary | null> {
    return Promise.resolve(this.reader.vehicle(device));
  }

  track(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<TrackItem> {
    return this.reader.track(device, fromMs, toMs, opts);
  }

  trackPages(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<readonly TrackItem[]> {
    return this.reader.trackPages(device, fromMs, toMs, opts);
  }

  linkEvents(device: string, fromMs: number, toMs: number, limit: number): Promise<LinkEventsAnswer> {
    return Promise.resolve(this.events.read(device, fromMs, toMs, limit));
  }

  /** What WELCOME tells a device: highest stored seq and the stored seqs in (acked, head]. */
  lookup(device: string, spool: string, acked: number, head: number, maxRanges: number): StoredView {
    const hr = this.db.prepare('SELECT MAX(seq) AS m FROM (SELECT seq FROM records WHERE device = ? AND spool = ? UNION ALL SELECT seq FROM gaps WHERE device = ? AND spool = ?)').get(device, spool, device, spool) as { m: number | null };
    const stored: SeqRange[] = [];
    if (head > acked) {
      const it = this.db
        .prepare('SELECT seq FROM records WHERE device = ? AND spool = ? AND seq > ? AND seq <= ? UNION SELECT seq FROM gaps WHERE device = ? AND spool = ? AND seq > ? AND seq <= ? ORDER BY seq')
        .pluck()
        .iterate(device, spool, acked, head, device, spool, acked, head) as IterableIterator<number>;
      for (const s of it) {
        const last = stored[stored.length - 1];
        if (last && s === last[1] + 1) last[1] = s;
        else {
          if (stored.length >= maxRanges) break;
          stored.push([s, s]);
        }
      }
    }
    return { high: hr.m ?? 0, stored };
  }

  private writeNote(n: DeviceNote): void {
    switch (n.kind) {
      case 'handshake':
        this.db
          .prepare('INSERT INTO devices (device, handshakes, firmware, last_seen_ms) VALUES (?, 1, ?, ?) ON CONFLICT(device) DO UPDATE SET handshakes = handshakes + 1, firmware = excluded.firmware, last_seen_ms = excluded.last_seen_ms')
          .run(n.device, n.firmware, n.at);
        this.events.add(n.device, n.at, 'connect', null, n.detail);
        return;
      case 'path':
        this.db.prepare('UPDATE devices SET path_changes = path_changes + 1, last_seen_ms = ? WHERE device = ?').run(n.at, n.device);
        this.events.add(n.device, n.at, 'path', null, n.detail);
        return;
      case 'close':
        this.db.prepare('UPDATE devices SET last_close = ?, last_seen_ms = ? WHERE device = ?').run(n.why.slice(0, 300), n.at, n.device);
        this.events.add(n.device, n.at, 'disconnect', null, n.why);
        return;
    }
  }

  stats(): DeviceStats[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY device').all() as Record<string, unknown>[]).map(deviceStatsFromRow);
  }

  /** Each stored record's age at the group commit that stored it (received_ms - time_ms: from the fix's GNSS time), ascending. */
  fixAges(device: string): number[] {
    return this.db.prepare('SELECT received_ms - time_ms FROM records WHERE device = ? ORDER BY 1').pluck().all(device) as number[];
  }

  /** Every stored seq of a device (tests and the demo summary). */
  seqs(device: string, spool?: string): number[] {
    const q = spool
      ? this.db.prepare('SELECT seq FROM records WHERE device = ? AND spool = ? ORDER BY seq').pluck().all(device, spool)
      : this.db.prepare('SELECT seq FROM records WHERE device = ? ORDER BY spool, seq').pluck().all(device);
    return q as number[];
  }

  close(): void {
    this.db.close();
  }
}
