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
import { startServerProcess, type ServerProc } from '../support/server-proc.js';
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

  /** A server process on a database holding 50 records of truck-1, with `args`; `f` gets the API's base URL and a token. */
  async function withServer(args: string[], f: (base: string, token: string, srv: ServerProc) => Promise<void>): Promise<string> {
    const fleet = await makeFleet([]);
    try {
      const db = join(fleet.dir, 'ingest.db');
      const s = Store.open(db);
      const t0 = Date.UTC(2026, 4, 1);
      s.enqueue('truck-1', 'a1b2c3d4e5f60718', Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, timeMs: t0 + i * 1000, payload: encodeRecord({ seq: i + 1, timeMs: t0 + i * 1000, lat7: 480_000_000, lon7: 110_000_000, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null }) })), [], () => {});
      s.flush();
      s.close();
      const token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
      const srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', ...args] });
      try {
        await f(httpBaseOf(srv.output()), token, srv);
      } finally {
        expect(await srv.stop()).toBe(0);
      }
      return srv.output();
    } finally {
      fleet.cleanup();
    }
  }
  const DAY = 'from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z';

  it('0: no reader process, tracks read in the server process', async () => {
    const out = await withServer(['--http-readers', '0'], async (base, token, srv) => {
      const r = await get(`${base}/api/v1/vehicles/truck-1/positions?format=csv&${DAY}`, token);
      expect(r.status).toBe(200);
      expect(r.text.trim().split('\n')).toHaveLength(51);
      expect(childrenMatching(srv.pid, / server reader$/)).toEqual([]);
    });
    expect(out).not.toMatch(/track read/);
  });

  it('2: two reader processes; the shutdown log counts where the reads ran', async () => {
    const out = await withServer(['--http-readers', '2'], async (base, token, srv) => {
      expect(srv.output()).toMatch(/2 of 2 track reader processes up/);
      expect(childrenMatching(srv.pid, / server reader$/)).toHaveLength(2);
      for (let i = 0; i < 3; i++) expect((await get(`${base}/api/v1/vehicles/truck-1/positions?format=csv&${DAY}`, token)).text.trim().split('\n')).toHaveLength(51);
      expect((await get(`${base}/api/v1/vehicles/truck-1/trips?${DAY}`, token)).status).toBe(200);
    });
    expect(out).toMatch(/track reads: 4 in reader processes, 0 in this process \(no reader up\), 0 reader exits/);
  });
});
