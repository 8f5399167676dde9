import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord } from '../../src/codec/index.js';
import { Store } from '../../src/server/store/store.js';
import { Outbox } from '../../src/server/forward/outbox.js';
import { backoffMs } from '../../src/server/forward/backoff.js';
import { Forwarder } from '../../src/server/forward/forwarder.js';
import { retentionOf } from '../../src/server/store/open.js';
import { silentLogger } from '../../src/base/log.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
const closers: (() => Promise<unknown> | void)[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'gs-forward-'));
  dirs.push(d);
  return join(d, 'ingest.db');
}
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const T0 = Date.UTC(2026, 4, 1, 6, 0, 0);
const rec = (seq: number) => ({ seq, timeMs: T0 + seq * 1000, payload: encodeRecord({ seq, timeMs: T0 + seq * 1000, lat7: 525_200_000 + seq, lon7: 134_050_000, altDm: null, speedCms: 500, courseCdeg: null, mode: 3, sats: 8, hdopC: null }) });
const gap = (seq: number) => ({ type: 'GAP' as const, seq, fromSeq: seq - 2, toSeq: seq - 1, fromTimeMs: T0, toTimeMs: T0 + 1, lost: 2, reason: 'ring' });

function store(): Store {
  const s = Store.open(tmpDb());
  closers.push(() => s.close());
  return s;
}

describe('forwarding outbox (triggers in the ingest transaction, real SQLite file)', () => {
  it('holds each newly stored record and gap once, in commit order; duplicates add nothing; delivered() forgets', () => {
    const s = store();
    const box = Outbox.enable(s.db);
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2), rec(3)], [], () => {});
    s.enqueue('truck-2', 'bbbbbbbb', [rec(1)], [], () => {});
    s.flush();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(2), rec(3), rec(6)], [gap(5)], () => {}); // 2, 3 are retransmissions
    s.flush();
    expect(box.pending).toBe(6);
    const all = box.next(0, 100);
    expect(all.map((e) => `${e.item?.kind} ${e.item?.device}/${e.item?.seq}`)).toEqual(['position truck-1/1', 'position truck-1/2', 'position truck-1/3', 'position truck-2/1', 'position truck-1/6', 'gap truck-1/5']);
    expect(all[0]!.item).toMatchObject({ lat: 52.5200001, speedMps: 5, mode: 3 });
    expect(box.next(0, 2).map((e) => e.item?.seq)).toEqual([1, 2]);
    box.delivered(all.slice(0, 4));
    expect(box.pending).toBe(2);
    expect(box.next(0, 100).map((e) => e.item?.seq)).toEqual([6, 5]);
  });

  it('a page that stops inside a run of gaps keeps commit order across records and gaps', () => {
    const s = store();
    const box = Outbox.enable(s.db);
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1)], [gap(4), gap(7), gap(10)], () => {});
    s.flush();
    s.enqueue('truck-1', 'aaaaaaaa', [rec(11), rec(12)], [], () => {});
    s.flush();
    const seen: number[] = [];
    let page = box.next(0, 2);
    while (page.length) {
      seen.push(...page.map((e) => e.item?.seq ?? -1));
      page = box.next(page[page.length - 1]!.id, 2);
    }
    expect(seen).toEqual([1, 4, 7, 10, 11, 12]);
  });

  it('disable() drops the triggers (nothing more is added) and reports what still waits', () => {
    const s = store();
    Outbox.enable(s.db);
    s.enqueue('truck-1', 'aaaaaaaa', [rec(1), rec(2)], [], () => {});
    s.flush();
    expect(Outbox.disable(s.db)).toBe(2);
    s.enqueue('truck-1', 'aaaaaaaa', [rec(3)], [], () => {});
    s.flush();
    expect(Outbox.disable(s.db)).toBe(2);
    expect(Outbox.disable(store().db)).toBe(0);
  });
});

describe('retry backoff', () => {
  it('doubles from the base to the cap, jittered into [d/2, d)', () => {
    const o = { baseMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4, 7, 8, 100].map((n) => backoffMs(n, o, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    expect(backoffMs(3, o, () => 0)).toBe(2000);
  });
});

/** A webhook receiver: records each POST body; `status` decides the answer. */
async function receiver(): Promise<{ server: Server; url: string; bodies: { records: { key: string; seq: number }[]; gaps: { key: string }[] }[]; status: { code: number } }> {
  const bodies: { records: { key: string; seq: number }[]; gaps: { key: string }[] }[] = [];
  const status = { code: 200 };
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += String(d)));
    req.on('end', () => {
      if (status.code === 200) bodies.push(JSON.parse(b));
      res.writeHead(status.code).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  const a = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${a.port}/hook`, bodies, status };
}

describe('forwarder (real HTTP receiver)', () => {
  it('POSTs batches in commit order with a key per record, retries a failing receiver with the same records, empties the outbox', async () => {
    const s = store();
    const box = Outbox.enable(s.db);
    const rx = await receiver();
    rx.status.code = 503;
    const f = new Forwarder({ url: rx.url, outbox: box, subscribe: (l) => s.onCommit(l), log: silentLogger(), batchRecords: 50, retryBaseMs: 20, retryMaxMs: 50 });
    closers.push(() => f.stop());
    f.start();
    s.enqueue('truck-1', 'aaaaaaaa', Array.from({ length: 120 }, (_, i) => rec(i + 1)), [gap(122)], () => {});
    s.flush();
    await waitFor(() => f.counters.failures >= 3, 5000, 'three refused POSTs');
    expect(box.pending).toBe(121);
    rx.status.code = 200;
    await waitFor(() => box.pending === 0, 5000, 'the outbox emptied');
    const keys = rx.bodies.flatMap((b) => [...b.records.map((r) => r.key), ...b.gaps.map((g) => g.key)]);
    expect(keys).toEqual([...Array.from({ length: 120 }, (_, i) => `truck-1/aaaaaaaa/${i + 1}`), 'truck-1/aaaaaaaa/122']);
    expect(rx.bodies.map((b) => b.records.length)).toEqual([50, 50, 20]);
    // a later commit wakes it (no polling)
    s.enqueue('truck-1', 'aaaaaaaa', [rec(123)], [], () => {});
    s.flush();
    await waitFor(() => box.pending === 0 && rx.bodies.length === 4, 5000, 'the next commit forwarded');
  });
});

describe('forwarding and retention', () => {
  it('records retention removed before delivery are counted as dropped (never skipped silently); the rest is delivered in order', async () => {
    const s = store();
    const box = Outbox.enable(s.db);
    s.enqueue('truck-1', 'aaaaaaaa', Array.from({ length: 30 }, (_, i) => rec(i + 1)), [gap(31)], () => {});
    s.flush();
    // a day and 20.5 s after T0 with one day kept: fixes 1..20 are over the age (the gap's time is T0: it goes too)
    const r = retentionOf(s, { keepDays: 1, clock: () => T0 + 86_400_000 + 20_500 });
    do await r.step();
    while (!r.passDone);
    expect(r.totals).toMatchObject({ records: 20, gaps: 1 });
    expect(box.pending).toBe(31);
    const rx = await receiver();
    const f = new Forwarder({ url: rx.url, outbox: box, subscribe: (l) => s.onCommit(l), log: silentLogger(), batchRecords: 8 });
    closers.push(() => f.stop());
    f.start();
    await waitFor(() => box.pending === 0, 5000, 'the outbox emptied');
    expect(rx.bodies.flatMap((b) => b.records.map((x) => x.seq))).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    expect(rx.bodies.flatMap((b) => b.gaps)).toEqual([]);
    expect(box.dropped).toBe(21);
    expect(f.counters).toMatchObject({ records: 10, failures: 0 });
  });
});
