import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemNet } from '../support/mem-engine.js';
import { waitFor } from '../support/wait.js';
import { MemSpool } from '../support/mem-spool.js';
import { DeviceLink } from '../../src/link/device.js';
import { IngestServer } from '../../src/server/server.js';
import { Store } from '../../src/server/store/store.js';
import type { IngestStore } from '../../src/server/store/ingest.js';
import type { GapFrame } from '../../src/protocol/messages.js';
import type { Done, StoreEntry } from '../../src/server/store/tally.js';
import type { CommitListener, TrackOptions } from '../../src/server/store/query.js';
import { silentLogger } from '../../src/base/log.js';
import { systemClock } from '../../src/base/clock.js';
import { StatusBoard } from '../../src/base/status-board.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real SQLite store answering the way a networked database does: lookups and
 * commits resolve `ms` later (the COMMIT itself happens when the wait is over, so
 * what is enqueued meanwhile belongs to the next one).
 */
class LateStore implements IngestStore {
  commitsRunning = 0;
  maxCommitsRunning = 0;
  constructor(
    readonly inner: Store,
    private readonly ms: number,
  ) {}
  get queued() {
    return this.inner.queued;
  }
  get notesQueued() {
    return this.inner.notesQueued;
  }
  enqueue(device: string, spool: string, entries: StoreEntry[], gaps: GapFrame[], done: Done) {
    this.inner.enqueue(device, spool, entries, gaps, done);
  }
  async commit() {
    this.maxCommitsRunning = Math.max(this.maxCommitsRunning, ++this.commitsRunning);
    try {
      await sleep(this.ms);
      return this.inner.flush();
    } finally {
      this.commitsRunning--;
    }
  }
  discardQueued() {
    this.inner.discardQueued();
  }
  async lookup(device: string, spool: string, acked: number, head: number, maxRanges: number) {
    await sleep(this.ms);
    return this.inner.lookup(device, spool, acked, head, maxRanges);
  }
  noteHandshake(device: string, firmware: string, detail?: string) {
    this.inner.noteHandshake(device, firmware, detail);
  }
  notePathChange(device: string, detail?: string | null) {
    this.inner.notePathChange(device, detail);
  }
  noteClose(device: string, why: string) {
    this.inner.noteClose(device, why);
  }
  stats() {
    return this.inner.stats();
  }
  seqs(device: string, spool?: string) {
    return this.inner.seqs(device, spool);
  }
  close() {
    this.inner.close();
  }
  vehicles() {
    return this.inner.vehicles();
  }
  vehicle(device: string) {
    return this.inner.vehicle(device);
  }
  track(device: string, fromMs: number, toMs: number, opts?: TrackOptions) {
    return this.inner.track(device, fromMs, toMs, opts);
  }
  trackPages(device: string, fromMs: number, toMs: number, opts?: TrackOptions) {
    return this.inner.trackPages(device, fromMs, toMs, opts);
  }
  linkEvents(device: string, fromMs: number, toMs: number, limit: number) {
    return this.inner.linkEvents(device, fromMs, toMs, limit);
  }
  onCommit(l: CommitListener) {
    return this.inner.onCommit(l);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(ms: number, maxQueuedRecords?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gs-ingest-async-'));
  dirs.push(dir);
  const net = new MemNet();
  const store = new LateStore(Store.open(join(dir, 'db.sqlite')), ms);
  const server = new IngestServer({ engine: net.engine(), store, host: '127.0.0.1', port: 4433, tls: { cert: 'server', key: 'k', ca: 'ca' }, log: silentLogger(), identify: (der) => new TextDecoder().decode(der), commitDelayMs: 5, ...(maxQueuedRecords ? { maxQueuedRecords } : {}) });
  await server.start();
  const mk = (id: string) => {
    const spool = new MemSpool();
    const status = new StatusBoard();
    const link = new DeviceLink({ engine: net.engine(), spool, server: '127.0.0.1:4433', tls: { cert: id, key: 'k', ca: 'ca' }, clock: systemClock, log: silentLogger(), status, device: id, random: () => 0 });
    return { link, spool, status };
  };
  return { net, store, server, mk };
}

describe('ingest server on a store that answers later (Promise lookup and commit)', () => {
  it('WELCOME waits for the lookup, one commit runs at a time, every record is stored once and acked only after its commit', async () => {
    const { net, store, server, mk } = await setup(40);
    const trucks = ['truck-1', 'truck-2', 'truck-3'].map(mk);
    let ackedBeforeCommit = 0;
    store.inner.onCommit(() => {});
    for (const t of trucks) t.link.start();
    await waitFor(() => trucks.every((t) => t.status.link === 'online'), 5000, 'online');
    for (let round = 0; round < 20; round++) {
      for (const t of trucks) {
        for (let i = 0; i < 100; i++) t.spool.append(Uint8Array.of(i & 0xff, round), Date.now());
        t.link.notify();
      }
      // an ack can only name what the SQLite file already holds
      for (const [i, t] of trucks.entries()) if (t.spool.ackedSeq > store.inner.seqs(`truck-${i + 1}`).length) ackedBeforeCommit++;
      if (round === 10) net.killAll();
      await sleep(15);
    }
    await waitFor(() => trucks.every((t) => t.spool.ackedSeq === 2000), 20_000, 'all acked');
    expect(ackedBeforeCommit).toBe(0);
    expect(store.maxCommitsRunning).toBe(1);
    for (const [i] of trucks.entries()) expect(store.inner.seqs(`truck-${i + 1}`)).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1));
    expect(store.inner.stats().map((s) => s.records)).toEqual([2000, 2000, 2000]);
    expect(server.counters.storageErrors).toBe(0);
    for (const t of trucks) await t.link.stop();
    await server.stop();
    store.close();
  });

  it('a database slower than the fleet: sessions stop reading at maxQueuedRecords, memory stays bounded, nothing is lost', async () => {
    const { store, server, mk } = await setup(150, 1000);
    const trucks = ['truck-1', 'truck-2'].map(mk);
    for (const t of trucks) t.link.start();
    await waitFor(() => trucks.every((t) => t.status.link === 'online'), 5000, 'online');
    for (const t of trucks) {
      for (let i = 0; i < 20_000; i++) t.spool.append(Uint8Array.of(i & 0xff), Date.now());
      t.link.notify();
    }
    await waitFor(() => trucks.every((t) => t.spool.ackedSeq === 20_000), 60_000, 'all acked');
    expect(server.counters.throttled).toBeGreaterThan(0);
    // a session stops at the first chunk past the limit: one chunk per session over it at most
    expect(server.counters.maxQueued).toBeLessThan(1000 + 2 * 1100);
    expect(store.inner.stats().map((s) => [s.records, s.duplicates])).toEqual([[20_000, 0], [20_000, 0]]);
    for (const t of trucks) await t.link.stop();
    await server.stop();
    store.close();
  });
});
