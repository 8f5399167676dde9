import type pg from 'pg';
import { gapEvent, linkDetail, linkEventFromRow, LINK_EVENTS_PER_VEHICLE } from '../events.js';
import type { DeviceNote } from '../queue.js';
import type { LinkEventKind, LinkEventsAnswer } from '../query.js';
import type { Tally } from '../tally.js';

interface PendingEvent {
  device: string;
  atMs: number;
  kind: LinkEventKind;
  count: number | null;
  detail: string | null;
  untilMs: number | null;
}

/** A commit's events, numbered per vehicle after its highest `n`, in the order they happened. */
const INSERT = `WITH ev AS (SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::int8[]) WITH ORDINALITY AS u(device, at_ms, kind, count, detail, until_ms, ord)),
  base AS (SELECT d.device, COALESCE((SELECT max(n) FROM link_events l WHERE l.device = d.device), 0) AS n0 FROM (SELECT DISTINCT device FROM ev) d)
  INSERT INTO link_events (device, n, at_ms, kind, count, detail, until_ms)
  SELECT ev.device, base.n0 + row_number() OVER (PARTITION BY ev.device ORDER BY ev.ord), ev.at_ms, ev.kind, ev.count, ev.detail, ev.until_ms
  FROM ev JOIN base USING (device)`;

/** Resends added to the vehicle's latest event where that is a resend (the same session); returns the vehicles it did. */
const GROW = `UPDATE link_events l SET count = l.count + u.count, until_ms = u.at_ms
  FROM unnest($1::text[], $2::int8[], $3::int8[]) AS u(device, count, at_ms)
  WHERE l.device = u.device AND l.kind = 'resend' AND l.n = (SELECT max(n) FROM link_events m WHERE m.device = u.device)
  RETURNING l.device`;

const PRUNE = `DELETE FROM link_events l USING (SELECT device, max(n) AS m FROM link_events WHERE device = ANY($1::text[]) GROUP BY device) x
  WHERE l.device = x.device AND l.n <= x.m - $2::int8`;

const PAGE = 'SELECT * FROM link_events WHERE device = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY at_ms, n LIMIT $4';
const BEFORE = "SELECT * FROM link_events WHERE device = $1 AND at_ms < $2 AND kind IN ('connect', 'disconnect') ORDER BY at_ms DESC, n DESC LIMIT 1";

/**
 * The `link_events` table on PostgreSQL, written inside the group commit in three
 * statements whatever the number of events. Called after the commit's `devices`
 * upserts: each vehicle's row lock is held then, so two ingest processes number one
 * vehicle's events one after the other.
 */
export class PgLinkEvents {
  constructor(private readonly perVehicle = LINK_EVENTS_PER_VEHICLE) {}

  async write(c: pg.ClientBase, notes: readonly DeviceNote[], tallies: ReadonlyMap<string, Tally>, now: number): Promise<void> {
    const evs: PendingEvent[] = [];
    const ev = (device: string, atMs: number, kind: LinkEventKind, count: number | null, detail: string | null, untilMs: number | null = null) =>
      evs.push({ device, atMs, kind, count, detail: detail === null ? null : linkDetail(detail), untilMs });
    for (const n of notes) {
      if (n.kind === 'handshake') ev(n.device, n.at, 'connect', null, n.detail);
      else if (n.kind === 'path') ev(n.device, n.at, 'path', null, n.detail);
      else ev(n.device, n.at, 'disconnect', null, n.why);
    }
    const resends = [...tallies].filter(([, t]) => t.duplicates > 0);
    // a resend joins the latest event only when nothing else happened to the vehicle in this commit
    const quiet = resends.filter(([d]) => !evs.some((e) => e.device === d));
    const grown = new Set<string>();
    if (quiet.length > 0) {
      const r = await c.query({ name: 'gs_ev_grow', text: GROW, values: [quiet.map(([d]) => d), quiet.map(([, t]) => t.duplicates), quiet.map(() => now)] });
      for (const x of r.rows as { device: string }[]) grown.add(x.device);
    }
    for (const [d, t] of tallies) {
      if (t.duplicates > 0 && !grown.has(d)) ev(d, now, 'resend', t.duplicates, null, now);
      for (const g of t.newGaps) {
        const e = gapEvent(g);
        ev(d, now, 'gap', e.count, e.detail);
      }
    }
    if (evs.length === 0) return;
    const col = <K extends keyof PendingEvent>(k: K) => evs.map((e) => e[k]);
    await c.query({ name: 'gs_ev_insert', text: INSERT, values: [col('device'), col('atMs'), col('kind'), col('count'), col('detail'), col('untilMs')] });
    await c.query({ name: 'gs_ev_prune', text: PRUNE, values: [[...new Set(col('device'))], this.perVehicle] });
  }

  async read(pool: pg.Pool, device: string, fromMs: number, toMs: number, limit: number): Promise<LinkEventsAnswer> {
    const [rows, b] = await Promise.all([pool.query(PAGE, [device, fromMs, toMs, limit + 1]), pool.query(BEFORE, [device, fromMs])]);
    const list = rows.rows as Record<string, unknown>[];
    const before = b.rows[0] as Record<string, unknown> | undefined;
    return { events: list.slice(0, limit).map(linkEventFromRow), before: before ? linkEventFromRow(before) : null, truncated: list.length > limit };
  }
}
