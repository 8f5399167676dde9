import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../src/codec/index.js';
import { createLogger } from '../../../src/base/log.js';
import { Store } from '../../../src/server/store/store.js';
import { ReaderPool, type ReaderProcess } from '../../../src/server/reads/pool.js';
import { localReads } from '../../../src/server/reads/track-reads.js';
import { recordFromFix } from '../../../src/telemetry/fix-record.js';
import { nmeaFixes, withSyntheticSensors } from '../../support/codec-drive.js';
import { repoRoot } from '../../support/shared.js';
import { tmpDbs } from '../../support/tmp-db.js';
import { lineSink, waitFor } from '../../support/wait.js';
import { running } from '../../support/proc-tree.js';

const newDb = tmpDbs('gs-reads-');
const T0 = Date.UTC(2026, 4, 1, 6, 0, 0);
const N = 20_000;
const SPOOL = 'a1b2c3d4e5f60718';

/** A real SQLite store with N records of a real drive (1 Hz from T0) and a gap in the middle. */
function fillStore(file: string): Store {
  const store = Store.open(file);
  const fixes = nmeaFixes('tizen_duesseldorf_2009_1hz.nmea').filter((f) => f.lat !== null);
  for (let i = 0; i < N; i += 1000) {
    const entries = [];
    for (let k = i; k < i + 1000; k++) {
      if (k >= 5000 && k < 5100) continue;
      const r = withSyntheticSensors({ ...recordFromFix(fixes[k % fixes.length]!, k + 1), timeMs: T0 + k * 1000 }, k % fixes.length);
      entries.push({ seq: r.seq, timeMs: r.timeMs, payload: encodeRecord(r) });
    }
    const gaps = i === 5000 ? [{ type: 'GAP' as const, seq: 5101, fromSeq: 5001, toSeq: 5100, fromTimeMs: T0 + 5_000_000, toTimeMs: T0 + 5_099_000, lost: 100, reason: 'thinned' }] : [];
    store.enqueue('truck-1', SPOOL, entries, gaps, () => {});
    store.flush();
  }
  return store;
}

const spawned: ReaderProcess[] = [];
function spawnReader(): ReaderProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'server', 'reader'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  spawned.push(p as ReaderProcess);
  return p as ReaderProcess;
}

const pools: ReaderPool[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  for (const s of stores.splice(0)) s.close();
  for (const p of spawned.splice(0)) p.kill('SIGKILL');
});

function setup(db: string, opts: { processes?: number; restartDelayMs?: number } = {}) {
  const store = Store.open(db);
  stores.push(store);
  const lines: string[] = [];
  const pool = new ReaderPool({ db, processes: opts.processes ?? 1, spawn: spawnReader, log: createLogger({ destination: lineSink(lines) }), fallback: localReads(store), restartDelayMs: opts.restartDelayMs ?? 50 });
  pools.push(pool);
  return { pool, store, lines };
}

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const c of chunks) s += c;
  return s;
}

describe('ReaderPool: track reads in reader processes', () => {
  it('answers documents and trips exactly as this process would, from another process', async () => {
    const db = newDb();
    fillStore(db).close();
    const { pool, store } = setup(db, { processes: 2 });
    await pool.start();
    expect(pool.ready).toBe(2);
    const local = localReads(store);
    for (const format of ['columns', 'geojson', 'csv', 'gpx'] as const) {
      const [a, b] = await Promise.all([text(pool.document('truck-1', T0, T0 + N * 1000, format)), text(local.document('truck-1', T0, T0 + N * 1000, format))]);
      expect(a.length, format).toBeGreaterThan(N * 20);
      expect(a === b, `${format}: the reader's document is the local one`).toBe(true);
    }
    // a column subset crosses to the reader too
    const [a, b] = await Promise.all([text(pool.document('truck-1', T0, T0 + N * 1000, 'columns', ['speed_mps', 'lat'])), text(local.document('truck-1', T0, T0 + N * 1000, 'columns', ['speed_mps', 'lat']))]);
    expect(a === b, "columns of lat and speed: the reader's document is the local one").toBe(true);
    expect(Object.keys((JSON.parse(a) as { blocks: { columns: object }[] }).blocks[0]!.columns)).toEqual(['spool', 'seq', 'timeMs', 'receivedMs', 'lat', 'speedMps']);
    expect(await pool.trips('truck-1', T0, T0 + N * 1000)).toEqual(await local.trips('truck-1', T0, T0 + N * 1000));
    expect(pool.counters).toMatchObject({ inReaders: 6, inProcess: 0 });
    // the readers are other processes, not this one
    expect(spawned.every((p) => p.pid !== undefined && p.pid !== process.pid)).toBe(true);
  });

  it('a reader SIGKILLed mid-document cuts that document with an error naming the exit; the next read runs here, then in a new reader', async () => {
    const db = newDb();
    fillStore(db).close();
    const { pool, lines } = setup(db, { restartDelayMs: 1500 });
    await pool.start();
    const it = pool.document('truck-1', T0, T0 + N * 1000, 'geojson')[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const victim = spawned[0]!;
    victim.kill('SIGKILL');
    await expect(async () => {
      for (;;) if ((await it.next()).done) break;
    }).rejects.toThrow(new RegExp(`track reader \\(pid ${victim.pid}\\) exited \\(SIGKILL\\)`));
    // while none is up, reads are not refused: they run in this process
    expect(pool.ready).toBe(0);
    const whole = await text(pool.document('truck-1', T0, T0 + N * 1000, 'csv'));
    expect(whole.split('\n').length).toBeGreaterThan(N - 200);
    expect(pool.counters.inProcess).toBe(1);
    await waitFor(() => pool.ready === 1, 20_000, 'a new reader');
    expect(spawned).toHaveLength(2);
    expect(await text(pool.document('truck-1', T0, T0 + N * 1000, 'csv'))).toBe(whole);
    expect(pool.counters).toMatchObject({ inReaders: 2, inProcess: 1, readerExits: 1 });
    expect(lines.join('\n')).toMatch(/track reader \(pid \d+\) exited \(SIGKILL\), cutting 1 read; starting another in 2 s/);
  });

  it('two readers SIGKILLed at once are both started again', async () => {
    const db = newDb();
    fillStore(db).close();
    const { pool } = setup(db, { processes: 2 });
    await pool.start();
    expect(pool.ready).toBe(2);
    for (const p of spawned.slice(0, 2)) p.kill('SIGKILL');
    await waitFor(() => pool.counters.readerExits === 2, 10_000, 'both exits seen');
    await waitFor(() => pool.ready === 2, 20_000, 'two new readers');
    expect(spawned).toHaveLength(4);
    expect((await text(pool.document('truck-1', T0, T0 + 10_000, 'csv'))).trim().split('\n')).toHaveLength(11);
  });

  it('reads a client abandons after one chunk are cancelled: twenty of them leave the reader answering whole documents', async () => {
    const db = newDb();
    fillStore(db).close();
    const { pool } = setup(db);
    await pool.start();
    for (let i = 0; i < 20; i++) {
      for await (const _ of pool.document('truck-1', T0, T0 + N * 1000, 'geojson')) break;
    }
    // after 20 abandoned reads one whole document still comes through, and trips too
    const doc = JSON.parse(await text(pool.document('truck-1', T0, T0 + N * 1000, 'geojson'))) as { features: unknown[] };
    expect(doc.features.length).toBe(N - 100 + 1);
    expect((await pool.trips('truck-1', T0, T0 + N * 1000)).length).toBeGreaterThan(0);
  });

  it('a database the reader cannot open leaves reads in this process, logged with the reason', async () => {
    const db = newDb();
    fillStore(db).close();
    const { pool, lines } = setup(db);
    const bad = new ReaderPool({ db: join(db, '..', 'missing.db'), processes: 1, spawn: spawnReader, log: createLogger({ destination: lineSink(lines) }), fallback: localReads(stores[0]!), restartDelayMs: 60_000 });
    pools.push(bad, pool);
    await bad.start();
    expect(bad.ready).toBe(0);
    expect(lines.join('\n')).toMatch(/track reader not started, reads run in the ingest process until one is: .*missing\.db: no such database/);
    const csv = await text(bad.document('truck-1', T0, T0 + 10_000, 'csv'));
    expect(csv.trim().split('\n')).toHaveLength(11);
    expect(bad.counters.inProcess).toBe(1);
  });

  it('a reader exits when the server process is gone (its IPC channel closes)', async () => {
    const db = newDb();
    fillStore(db).close();
    // a parent that starts a reader and is then SIGKILLed: its reader must not be left behind
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { spawn } = require('node:child_process');
         const r = spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(join(repoRoot, 'src/cli.ts'))}, 'server', 'reader'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
         r.on('message', (m) => { if (m.t === 'ready') console.log('reader ' + r.pid); });
         r.send({ t: 'open', db: ${JSON.stringify(db)} });
         setInterval(() => {}, 1000);`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += String(d)));
    await waitFor(() => /reader \d+/.test(out), 20_000, 'the reader to open the database');
    const pid = Number(/reader (\d+)/.exec(out)![1]);
    expect(running(pid)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !running(pid), 10_000, `reader ${pid} to exit`);
  });
});

