/**
 * A webhook receiver down for two minutes of simulated time while ingest goes on: the
 * forwarder's retry waits run on injected timers, so the outage is simulated exactly
 * (the backoff's schedule, every commit of every simulated second), while the store is
 * a real SQLite file and the receiver a real HTTP server that refuses connections when
 * down and comes back on the same port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { encodeRecord } from '../../src/codec/index.js';
import { Store } from '../../src/server/store/store.js';
import { Outbox } from '../../src/server/forward/outbox.js';
import { Forwarder, type Timers } from '../../src/server/forward/forwarder.js';
import { createLogger } from '../../src/base/log.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { waitFor } from '../support/wait.js';

/** Timers that fire only when the test moves simulated time. */
class SimTimers implements Timers {
  now = 0;
  private queue: { at: number; fn: () => void }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.now + ms, fn };
    this.queue.push(t);
    return t;
  }
  clearTimeout(h: unknown): void {
    this.queue = this.queue.filter((t) => t !== h);
  }
  /** Fires, in time order, every timer due by `t` (each once the forwarder is waiting again), then sets the time to `t`. */
  async advanceTo(t: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      const due = this.queue.filter((x) => x.at <= t).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.queue = this.queue.filter((x) => x !== due);
      this.now = due.at;
      due.fn();
      await settle();
    }
    this.now = t;
  }
}

const dirs: string[] = [];
const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 4, 1, 6, 0, 0);
const VEHICLES = 10;
const spoolOf = (v: number) => `${String(v).padStart(8, '0')}`;
const keyOf = (v: number, seq: number) => `truck-${v}/${spoolOf(v)}/${seq}`;

/** A store on a real file, an outbox, a receiver, a forwarder on simulated timers, and a fleet committing once per simulated second. */
async function rig(outboxMax?: number) {
  const d = mkdtempSync(join(tmpdir(), 'gs-forward-outage-'));
  dirs.push(d);
  const store = Store.open(join(d, 'ingest.db'));
  closers.push(() => store.close());
  const outbox = Outbox.enable(store.db, { maxRows: outboxMax });
  const rx = new WebhookReceiver();
  await rx.up();
  closers.push(() => rx.down());
  const lines: string[] = [];
  const log = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(...String(c).trim().split('\n')), cb()) }) });
  const timers = new SimTimers();
  // the deterministic end of the jitter: waits of 1, 2, 4, ... 32, then 60 s
  const f = new Forwarder({ url: rx.url, outbox, subscribe: (l) => store.onCommit(l), log, batchRecords: 250, retryBaseMs: 1000, retryMaxMs: 60_000, random: () => 0.999_999, timers });
  closers.push(() => f.stop());
  const settle = async () => {
    await waitFor(() => f.waitingFor !== null, 10_000, 'the forwarder waiting again');
  };
  let second = 0;
  let acked = 0;
  const committed: string[] = [];
  /** One simulated second: each vehicle's record committed (one group commit), then the forwarder's timers due by then. */
  const tick = async () => {
    second++;
    for (let v = 0; v < VEHICLES; v++) {
      const t = T0 + second * 1000;
      const payload = encodeRecord({ seq: second, timeMs: t, lat7: 512_000_000 + v * 10_000 + second, lon7: 67_000_000, altDm: 400, speedCms: 900, courseCdeg: 9000, mode: 3, sats: 9, hdopC: 90 });
      store.enqueue(`truck-${v}`, spoolOf(v), [{ seq: second, timeMs: t, payload }], [], () => acked++);
      committed.push(keyOf(v, second));
    }
    store.flush();
    await settle();
    await timers.advanceTo(second * 1000, settle);
  };
  f.start();
  await settle();
  return { store, outbox, rx, f, timers, lines, tick, committed, acked: () => acked, second: () => second };
}

describe('forwarding through a two-minute receiver outage (simulated time, real SQLite and HTTP)', () => {
  it('loses nothing, backs off (7 attempts in 2 min), reports the outbox, then delivers every record exactly once in commit order', async () => {
    const r = await rig();
    for (let i = 0; i < 5; i++) await r.tick();
    expect(r.rx.keys).toEqual(r.committed);
    await r.rx.down();
    const downAt = r.second();
    const failuresBefore = r.f.counters.failures;
    let maxPending = 0;
    while (r.second() < downAt + 120) {
      await r.tick();
      maxPending = Math.max(maxPending, (await r.f.report()).pending);
    }
    // ingest went on: every batch acked after its commit, every record waiting in the outbox
    expect(r.acked()).toBe(r.committed.length);
    expect(await r.f.report()).toEqual({ pending: 120 * VEHICLES, maxRows: 10_000_000, dropped: 0 });
    expect(maxPending).toBe(120 * VEHICLES);
    // retries at +0, +1, +3, +7, +15, +31, +63 s of the outage: no hammering
    expect(r.f.counters.failures - failuresBefore).toBe(7);
    const failing = r.lines.filter((l) => l.includes('forwarding delivering -> failing'));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatch(new RegExp(`retrying with backoff, ${VEHICLES} records waiting in the outbox`));
    expect(r.rx.keys).toHaveLength(5 * VEHICLES);

    await r.rx.up();
    // the next retry is at +123 s (60 s after the last); ingest goes on meanwhile
    while ((await r.f.report()).pending > 0) await r.tick();
    expect(r.second() - downAt).toBe(123);
    expect(r.rx.keys).toEqual(r.committed);
    expect(new Set(r.rx.keys).size).toBe(r.committed.length);
    expect(r.rx.dropped.every((n) => n === 0)).toBe(true);
    const recovered = r.lines.filter((l) => l.includes('forwarding failing -> delivering'));
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatch(/records still waiting\)/);
    // and it keeps up afterwards, woken by each commit
    for (let i = 0; i < 3; i++) await r.tick();
    expect(r.rx.keys).toEqual(r.committed);
  }, 120_000);

  it('a bounded outbox keeps the newest records, counts and reports the rest, and tells the receiver', async () => {
    const r = await rig(300);
    await r.rx.down();
    let maxPending = 0;
    while (r.second() < 120) {
      await r.tick();
      maxPending = Math.max(maxPending, (await r.f.report()).pending);
    }
    expect(maxPending).toBe(300);
    expect(await r.f.report()).toEqual({ pending: 300, maxRows: 300, dropped: 1200 - 300 });
    expect(r.acked()).toBe(1200);
    const full = r.lines.filter((l) => l.includes('forwarding outbox full (300 records)'));
    expect(full).toHaveLength(1);
    await r.rx.up();
    // until the next retry (+123 s) each commit still pushes out the oldest
    while ((await r.f.report()).pending > 0) await r.tick();
    const dropped = (await r.f.report()).dropped;
    expect(dropped).toBe(123 * VEHICLES - 300);
    // the 300 newest when delivery resumed, then what followed, each once, in order
    expect(r.rx.keys).toEqual(r.committed.slice(dropped));
    expect(r.rx.dropped.every((n) => n === dropped)).toBe(true);
    expect(r.lines.filter((l) => l.includes('forwarding failing -> delivering'))[0]).toContain(`${dropped} dropped undelivered (outbox bound 300 rows, or removed by retention first)`);
    // the count is durable: a restart with a smaller bound cuts at once and adds to it
    for (let i = 0; i < 50; i++) await r.tick(); // receiver up: these are delivered
    await r.rx.down();
    for (let i = 0; i < 20; i++) await r.tick();
    const waiting = (await r.f.report()).pending;
    await r.f.stop();
    const again = Outbox.enable(r.store.db, { maxRows: 50 });
    expect(waiting).toBe(20 * VEHICLES);
    expect({ pending: again.pending, dropped: again.dropped }).toEqual({ pending: 50, dropped: dropped + waiting - 50 });
  }, 120_000);
});
