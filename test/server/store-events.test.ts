import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { encodeRecord } from '../../src/codec/index.js';
import { Store } from '../../src/server/store/store.js';
import { retentionOf } from '../../src/server/store/open.js';
import { SCHEMA_VERSION } from '../../src/server/store/schema.js';
import { tmpDbs } from '../support/tmp-db.js';

const tmpDb = tmpDbs('gs-store-events-');

const SPOOL = 'aaaaaaaaaaaaaaaa';
const T0 = 1_700_000_000_000;
const entry = (seq: number) => ({ seq, timeMs: T0 + seq * 1000, payload: encodeRecord({ seq, timeMs: T0 + seq * 1000, lat7: 481_234_567, lon7: 11_234_567, altDm: 100, speedCms: 0, courseCdeg: 0, mode: 3, sats: 8, hdopC: 90 }) });
const entries = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));

/** A store whose clock the test sets. */
function clockedStore(o: { linkEventsPerVehicle?: number } = {}) {
  const at = { now: T0 };
  const s = Store.open(tmpDb(), { clock: () => at.now, ...o });
  return { s, at };
}

// The link events both databases keep alike are in store-backends.test.ts.
describe('link events (real SQLite file)', () => {
  it('retention removes link events older than keepDays with the data, in small steps', async () => {
    const DAY = 86_400_000;
    const { s, at } = clockedStore();
    for (let d = 0; d < 10; d++) {
      at.now = T0 + d * DAY;
      s.noteHandshake('truck-1', 'x');
      s.flush();
    }
    const r = retentionOf(s, { keepDays: 3, batchRows: 2, clock: () => T0 + 9 * DAY - 1 });
    while ((await r.step()) > 0 || !r.passDone);
    expect(r.totals.linkEvents).toBe(6);
    const left = await s.linkEvents('truck-1', 0, T0 + 100 * DAY, 100);
    expect(left.events.map((e) => Math.round((e.atMs - T0) / DAY))).toEqual([6, 7, 8, 9]);
    s.close();
  });

  it('reads by time through the (device, at_ms) index', () => {
    const { s } = clockedStore();
    const plan = (s.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM link_events WHERE device = 'x' AND at_ms >= 1 AND at_ms < 2 ORDER BY at_ms, n").all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan).toMatch(/USING INDEX link_events_device_time/);
    s.close();
  });

  it('a schema-2 database gets the link_events table on open; its data stays', () => {
    const file = tmpDb();
    const s = Store.open(file);
    s.noteHandshake('truck-1', 'x');
    s.enqueue('truck-1', SPOOL, entries(1, 3), [], () => {});
    s.flush();
    s.close();
    const db = new Database(file);
    db.exec('DROP TABLE link_events');
    db.pragma('user_version = 2');
    db.close();
    const again = Store.open(file);
    expect(SCHEMA_VERSION).toBe(4);
    expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(again.db.prepare('SELECT COUNT(*) FROM records').pluck().get()).toBe(3);
    expect(again.db.prepare('SELECT COUNT(*) FROM link_events').pluck().get()).toBe(0);
    again.noteClose('truck-1', 'bye');
    again.flush();
    expect(again.db.prepare('SELECT kind FROM link_events').pluck().all()).toEqual(['disconnect']);
    again.close();
  });
});
