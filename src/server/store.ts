import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import type { BatchEntry, Gap } from '../link/core/frames.js';
import { rangesOf, type SeqRange } from '../link/core/ranges.js';
import type { StoredView } from '../link/core/server-core.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

/** Where a record's position is, if its payload says (the codec decodes it); null if unknown. */
export type PositionOf = (payload: Uint8Array) => { lat7: number; lon7: number } | null;

export interface DeviceStats {
  device: string;
  records: number;
  duplicates: number;
  gaps: number;
  lost: number;
  handshakes: number;
  pathChanges: number;
  lastSeen: string | null;
  firmware: string | null;
  lastSeq: number | null;
  lastTime: string | null;
  lastLat7: number | null;
  lastLon7: number | null;
  lastClose: string | null;
}

type Done = (ranges: SeqRange[], count: number) => void;
interface Pending {
  device: string;
  spool: string;
  entries: BatchEntry[];
  gaps: Gap[];
  done: Done;
}

interface Tally {
  records: number;
  duplicates: number;
  gaps: number;
  lost: number;
  spool: string;
  lastSeq: number;
  lastTime: number;
  pos: { lat7: number; lon7: number } | null;
}

/**
 * The ingest store. Writes are grouped: enqueue() collects batches from every
 * connection, flush() commits them in ONE transaction and only then calls each
 * batch's `done` (which sends the ACK). synchronous=FULL: a COMMIT is on disk
 * (WAL fsynced) before any ACK leaves, so an acked record survives a power cut.
 */
export class Store {
  private pending: Pending[] = [];
  private pendingCount = 0;
  /** Per-device notes (handshakes, path changes, closes) written with the next group commit. */
  private notes: (() => void)[] = [];
  private readonly insRecord: Database.Statement;
  private readonly insGap: Database.Statement;
  private readonly upsertDevice: Database.Statement;
  private readonly txn: (batch: Pending[], now: number) => Map<Pending, number[]>;

  private constructor(
    readonly db: Database.Database,
    private readonly positionOf: PositionOf | null,
    private readonly clock: () => number,
  ) {
    this.insRecord = db.prepare('INSERT OR IGNORE INTO records (device, spool, seq, time_ms, payload, received_ms) VALUES (?, ?, ?, ?, ?, ?)');
    this.insGap = db.prepare('INSERT OR IGNORE INTO gaps (device, spool, seq, from_seq, to_seq, from_time_ms, to_time_ms, lost, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.upsertDevice = db.prepare(`INSERT INTO devices (device, records, duplicates, gaps, lost, last_seen_ms, last_spool, last_seq, last_time_ms, last_lat7, last_lon7)
      VALUES (@device, @records, @duplicates, @gaps, @lost, @now, @spool, @lastSeq, @lastTime, @lat7, @lon7)
      ON CONFLICT(device) DO UPDATE SET records = records + @records, duplicates = duplicates + @duplicates, gaps = gaps + @gaps, lost = lost + @lost,
        last_seen_ms = @now,
        last_spool = CASE WHEN @lastSeq > 0 THEN @spool ELSE last_spool END,
        last_seq = CASE WHEN @lastSeq > 0 AND (last_spool IS NOT @spool OR @lastSeq > COALESCE(last_seq, 0)) THEN @lastSeq ELSE last_seq END,
        last_time_ms = CASE WHEN @lastSeq > 0 AND (last_spool IS NOT @spool OR @lastSeq > COALESCE(last_seq, 0)) THEN @lastTime ELSE last_time_ms END,
        last_lat7 = CASE WHEN @lat7 IS NOT NULL AND (last_spool IS NOT @spool OR @lastSeq >= COALESCE(last_seq, 0)) THEN @lat7 ELSE last_lat7 END,
        last_lon7 = CASE WHEN @lon7 IS NOT NULL AND (last_spool IS NOT @spool OR @lastSeq >= COALESCE(last_seq, 0)) THEN @lon7 ELSE last_lon7 END`);
    this.txn = db.transaction((batch: Pending[], now: number) => this.write(batch, now));
  }

  static open(file: string, opts: { positionOf?: PositionOf; clock?: () => number } = {}): Store {
    const fresh = !existsSync(file);
    const db = new Database(file);
    if (fresh) chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) throw new Error(`${file}: database schema ${v} is newer than this server's (${SCHEMA_VERSION})`);
    db.exec(SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return new Store(db, opts.positionOf ?? null, opts.clock ?? Date.now);
  }

  /** Opens an existing database read-only (stats). */
  static openReadOnly(file: string): Store {
    if (!existsSync(file)) throw new Error(`${file}: no such database`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    return new Store(db, null, Date.now);
  }

  /** Records (and gaps) waiting for the next flush. */
  get queued(): number {
    return this.pendingCount;
  }

  enqueue(device: string, spool: string, entries: BatchEntry[], gaps: Gap[], done: Done): void {
    this.pending.push({ device, spool, entries, gaps, done });
    this.pendingCount += entries.length + gaps.length;
  }

  /**
   * Commits everything queued in one transaction, then acks each batch.
   * On a database error nothing is acked and the error is thrown (the batches'
   * devices will resend them on their next connection).
   */
  flush(): number {
    if (this.pending.length === 0 && this.notes.length === 0) return 0;
    const batch = this.pending;
    const n = this.pendingCount;
    this.pending = [];
    this.pendingCount = 0;
    const seqs = this.txn(batch, this.clock());
    if (this.pending.length || this.notes.length) throw new Error('store: enqueue during flush');
    for (const p of batch) {
      const s = seqs.get(p)!;
      p.done(rangesOf(s), s.length);
    }
    return n;
  }

  /** Drops what is queued without committing (the connections they came from are gone and will resend). */
  discardQueued(): void {
    this.pending = [];
    this.pendingCount = 0;
    this.notes = [];
  }

  /** Notes waiting for the next flush. */
  get notesQueued(): number {
    return this.notes.length;
  }

  private write(batch: Pending[], now: number): Map<Pending, number[]> {
    const notes = this.notes;
    this.notes = [];
    for (const note of notes) note();
    const tallies = new Map<string, Tally>();
    const out = new Map<Pending, number[]>();
    for (const p of batch) {
      let t = tallies.get(p.device);
      if (!t) tallies.set(p.device, (t = { records: 0, duplicates: 0, gaps: 0, lost: 0, spool: p.spool, lastSeq: 0, lastTime: 0, pos: null }));
      const seqs: number[] = [];
      for (const e of p.entries) {
        const r = this.insRecord.run(p.device, p.spool, e.seq, e.timeMs, e.payload, now);
        seqs.push(e.seq);
        if (r.changes === 0) {
          t.duplicates++;
          continue;
        }
        t.records++;
        if (t.spool !== p.spool || e.seq > t.lastSeq) {
          t.spool = p.spool;
          t.lastSeq = e.seq;
          t.lastTime = e.timeMs;
          const pos = this.positionOf?.(e.payload) ?? null;
          if (pos) t.pos = pos;
        }
      }
      for (const g of p.gaps) {
        const r = this.insGap.run(p.device, p.spool, g.seq, g.fromSeq, g.toSeq, g.fromTimeMs, g.toTimeMs, g.lost, now);
        seqs.push(g.seq);
        if (r.changes === 0) t.duplicates++;
        else {
          t.gaps++;
          t.lost += g.lost;
        }
      }
      out.set(p, seqs);
    }
    for (const [device, t] of tallies)
      this.upsertDevice.run({ device, records: t.records, duplicates: t.duplicates, gaps: t.gaps, lost: t.lost, now, spool: t.spool, lastSeq: t.lastSeq, lastTime: t.lastTime, lat7: t.pos?.lat7 ?? null, lon7: t.pos?.lon7 ?? null });
    return out;
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

  /*
   * Device notes are queued and written inside the next group commit: a reconnect
   * storm of a whole fleet must not cost one fsync per vehicle on the event loop.
   */
  noteHandshake(device: string, firmware: string): void {
    const at = this.clock();
    this.notes.push(() => this.noteHandshakeNow(device, firmware, at));
  }

  notePathChange(device: string): void {
    const at = this.clock();
    this.notes.push(() => this.db.prepare('UPDATE devices SET path_changes = path_changes + 1, last_seen_ms = ? WHERE device = ?').run(at, device));
  }

  noteClose(device: string, why: string): void {
    const at = this.clock();
    this.notes.push(() => this.db.prepare('UPDATE devices SET last_close = ?, last_seen_ms = ? WHERE device = ?').run(why.slice(0, 300), at, device));
  }

  private noteHandshakeNow(device: string, firmware: string, at: number): void {
    this.db
      .prepare('INSERT INTO devices (device, handshakes, firmware, last_seen_ms) VALUES (?, 1, ?, ?) ON CONFLICT(device) DO UPDATE SET handshakes = handshakes + 1, firmware = excluded.firmware, last_seen_ms = excluded.last_seen_ms')
      .run(device, firmware, at);
  }

  stats(): DeviceStats[] {
    const rows = this.db.prepare('SELECT * FROM devices ORDER BY device').all() as Record<string, number | string | null>[];
    const iso = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : null);
    return rows.map((r) => ({
      device: r.device as string,
      records: r.records as number,
      duplicates: r.duplicates as number,
      gaps: r.gaps as number,
      lost: r.lost as number,
      handshakes: r.handshakes as number,
      pathChanges: r.path_changes as number,
      lastSeen: iso(r.last_seen_ms),
      firmware: r.firmware as string | null,
      lastSeq: r.last_seq as number | null,
      lastTime: iso(r.last_time_ms),
      lastLat7: r.last_lat7 as number | null,
      lastLon7: r.last_lon7 as number | null,
      lastClose: r.last_close as string | null,
    }));
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
