/**
 * Connection migration against `geostream server`, driven by aioquic (test/e2e/peer.ts):
 * RFC 9000 9.5 says a client SHOULD use a new connection ID when it moves to a new
 * path, and aioquic does. ngtcp2 0.12.1 retired the connection ID that a new path
 * validation falls back to when a move arrived during the previous validation: the
 * connection died with CONNECTION_ID_LIMIT (0x09), stalled, or the server process
 * aborted (native/patches/). Without that patch the first case passes (each move waits
 * for its ack) and the second fails at its first seed (30 of 30 seeds failed).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aioquicRoot, openBench, type Bench } from './peer.js';

let bench: Bench;

beforeAll(async () => {
  bench = await openBench(aioquicRoot());
  await bench.device('truck-1');
}, 20 * 60_000);

afterAll(async () => {
  await bench?.close();
});

it('12 migrations, each with a new source port and a new connection ID: every batch acked after its commit on the same connection', async () => {
  const run = await bench.peer(['--scenario', 'migrate', '--migrations', '12', '--cid', '--batch', '10']);
  const moves = run.all('migrated');
  expect(moves, run.events.map((e) => JSON.stringify(e)).join('\n')).toHaveLength(12);
  for (const m of moves) {
    expect(m.terminated, JSON.stringify(m)).toBeNull();
    expect(m.ok, JSON.stringify(m)).toBe(true);
    expect(m.uncommitted).toEqual([]);
    expect(m.toPort).not.toBe(m.fromPort);
    expect(m.toDcid).not.toBe(m.fromDcid);
  }
  expect(new Set(moves.map((m) => m.toDcid)).size).toBe(12);
  const dev = bench.stats().devices.find((d) => d.device === 'truck-1')!;
  expect(dev.records).toBe(130);
  expect(dev.pathChanges ?? dev.path_changes).toBeGreaterThanOrEqual(12);
  expect(bench.server.proc.exitCode).toBeNull();
});

it('40 random moves (port, connection ID, both, none) overlapping the previous path validation, 6 seeds: no close, no stall, the server stays up', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const run = await bench.peer(['--scenario', 'moves', '--migrations', '40', '--batch', '5', '--seed', String(seed), '--spool', `5eed${seed}`.padEnd(16, '0')]);
    const r = run.one('moved');
    expect(r.terminated, `seed ${seed}: ${JSON.stringify(r)}`).toBeNull();
    expect(r.ok, `seed ${seed}: ${JSON.stringify(r)}`).toBe(true);
    expect(r.acked).toBe(200);
    expect(r.uncommitted).toEqual([]);
    expect(bench.server.proc.exitCode, `server died at seed ${seed}:\n${bench.server.output().slice(-2000)}`).toBeNull();
  }
});
