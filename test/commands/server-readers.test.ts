/**
 * `geostream server --http-readers N` and `geostream server reader`: the option is
 * checked with errors naming it; the reader refuses to run by hand; with 0 the server
 * starts no reader process and still serves tracks.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-io.js';
import { repoRoot } from '../support/shared.js';
import { childrenMatching } from '../support/proc-tree.js';
import { makeFleet } from '../support/link-fixture.js';
import { startServerProcess } from '../support/server-proc.js';
import { get, httpBaseOf } from '../support/http-api.js';
import { Store } from '../../src/server/store/store.js';
import { encodeRecord } from '../../src/codec/index.js';

describe('geostream server --http-readers', () => {
  it('refuses a bad count and a count without --http, naming the flag; the reader is not for running by hand', async () => {
    const base = ['server', '--listen', '127.0.0.1:0', '--db', '/nonexistent/x.db', '--ca', '/nonexistent'];
    for (const v of ['-1', 'two', '1.5', '65']) {
      const r = await runCli([...base, '--http', '127.0.0.1:0', '--http-readers', v]);
      expect(r.code, v).toBe(2);
      expect(r.stderr, v).toMatch(/--http-readers/);
    }
    const alone = await runCli([...base, '--http-readers', '2']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--http-readers needs --http HOST:PORT/);
    // a process of its own: this test worker has an IPC channel (to vitest), a shell does not
    const byHand = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'server', 'reader'], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });
    expect(byHand.status).toBe(2);
    expect(byHand.stderr).toMatch(/started by 'geostream server --http' over an IPC channel, not by hand/);
  });

  it('0: no reader process, tracks read in the server process', async () => {
    const fleet = await makeFleet([]);
    try {
      const db = join(fleet.dir, 'ingest.db');
      const s = Store.open(db);
      const t0 = Date.UTC(2026, 4, 1);
      s.enqueue('truck-1', 'a1b2c3d4e5f60718', Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, timeMs: t0 + i * 1000, payload: encodeRecord({ seq: i + 1, timeMs: t0 + i * 1000, lat7: 480_000_000, lon7: 110_000_000, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null }) })), [], () => {});
      s.flush();
      s.close();
      const token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
      const srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', '--http-readers', '0'] });
      try {
        const r = await get(`${httpBaseOf(srv.output())}/api/v1/vehicles/truck-1/positions?format=csv&from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z`, token);
        expect(r.status).toBe(200);
        expect(r.text.trim().split('\n')).toHaveLength(51);
        expect(srv.output()).not.toMatch(/track reader/);
        expect(childrenMatching(srv.pid, / server reader$/)).toEqual([]);
      } finally {
        await srv.stop();
      }
    } finally {
      fleet.cleanup();
    }
  });
});
