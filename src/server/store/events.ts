import type Database from 'better-sqlite3';
import type { Gap } from '../../codec/gap.js';
import type { LinkEvent, LinkEventKind, LinkEventsAnswer } from './query.js';

/** Link events kept per vehicle (the oldest go first): a vehicle reconnecting in a loop cannot grow the table. */
export const LINK_EVENTS_PER_VEHICLE = 10_000;
/** Longest detail text kept (a close reason comes from the peer). */
export const LINK_DETAIL_CHARS = 300;

/** Detail text as stored: control characters replaced by '?', cut at LINK_DETAIL_CHARS. */
export function linkDetail(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, LINK_DETAIL_CHARS);
}

/** A gap marker's event: the records lost, the reason and the seq range. */
export function gapEvent(g: Gap): { count: number; detail: string } {
  return { count: g.lost, detail: linkDetail(`${g.reason ?? 'reason not given'}, seqs ${g.fromSeq}-${g.toSeq}`) };
}

type Row = Record<string, unknown>;
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A `link_events` row as a LinkEvent. */
export function linkEventFromRow(r: Row): LinkEvent {
  return {
    device: r.device as string,
    n: Number(r.n),
    atMs: Number(r.at_ms),
    kind: r.kind as LinkEventKind,
    count: numOrNull(r.count),
    detail: (r.detail as string | null) ?? null,
    untilMs: numOrNull(r.until_ms),
  };
}

/**
 * The `link_events` table of the SQLite store. Writes run inside the store's group
 * commit. Each vehicle's events are numbered (`n`); adding one drops those more than
 * `perVehicle` behind it, one primary-key range per insert.
 */
export class SqliteLinkEvents {
  private readonly last: Database.Statement;
  private readonly ins: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly grow: Database.Statement;
  private readonly page: Database.Statement;
  private readonly before: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly perVehicle = LINK_EVENTS_PER_VEHICLE,
  ) {
    this.last = db.prepare('SELECT n, kind FROM link_events WHERE device = ? ORDER BY n DESC LIMIT 1');
    this.ins = db.prepare('INSERT INTO link_events (device, n, at_ms, kind, count, detail, until_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.prune = db.prepare('DELETE FROM link_events WHERE device = ? AND n <= ?');
    this.grow = db.prepare('UPDATE link_events SET count = count + ?, until_ms = ? WHERE device = ? AND n = ?');
    this.page = db.prepare('SELECT * FROM link_events WHERE device = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, n LIMIT ?');
    this.before = db.prepare("SELECT * FROM link_events WHERE device = ? AND at_ms < ? AND kind IN ('connect', 'disconnect') ORDER BY at_ms DESC, n DESC LIMIT 1");
  }

  add(device: string, atMs: number, kind: LinkEventKind, count: number | null, detail: string | null, untilMs: number | null = null): void {
    const l = this.last.get(device) as { n: number } | undefined;
    const n = (l?.n ?? 0) + 1;
    this.ins.run(device, n, atMs, kind, count, detail === null ? null : linkDetail(detail), untilMs);
    if (n > this.perVehicle) this.prune.run(device, n - this.perVehicle);
  }

  /** `count` records received again: added to the vehicle's latest event when that is a resend (same session), else a new one. */
  resent(device: string, count: number, atMs: number): void {
    const l = this.last.get(device) as { n: number; kind: string } | undefined;
    if (l?.kind === 'resend') this.grow.run(count, atMs, device, l.n);
    else this.add(device, atMs, 'resend', count, null, atMs);
  }

  read(device: string, fromMs: number, toMs: number, limit: number): LinkEventsAnswer {
    const rows = this.page.all(device, fromMs, toMs, limit + 1) as Row[];
    const b = this.before.get(device, fromMs) as Row | undefined;
    return { events: rows.slice(0, limit).map(linkEventFromRow), before: b ? linkEventFromRow(b) : null, truncated: rows.length > limit };
  }
}
