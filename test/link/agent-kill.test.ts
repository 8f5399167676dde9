import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { useFleet, writeAgentConfig } from '../support/link-fixture.js';
import { waitFor } from '../support/wait.js';
import { startServerProcess } from '../support/server-proc.js';
import { repoRoot } from '../support/shared.js';
import { availableEngines } from '../../src/quic/engines.js';
import { Spool } from '../../src/spool/index.js';

/** `geostream run` as a real child process; counts the records it logged as taken. */
function startAgent(config: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', '--config', config, '--rate', '10'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += String(d)));
  proc.stderr.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return { proc, exited, output: () => out, taken: () => (out.match(/^INFO: track: /gm) ?? []).length };
}

function storedCount(db: string): number {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    d.close();
  }
}

describe.each(availableEngines())('agent process SIGKILLed and restarted mid-stream (engine %s)', (engineName) => {
  const fleet = useFleet(['truck-1']);

  it('every record the agent took is stored exactly once or still in its spool', async () => {
    const db = join(fleet.dir, 'agent-kill.db');
    const srv = await startServerProcess({ ca: fleet.ca, db, engine: engineName });
    const spoolDir = join(fleet.dir, 'spool');
    const config = writeAgentConfig(fleet, 'truck-1', srv.port, {
      sampling: { minPeriodS: 0.1, minIntervalS: 0 },
      // fsync inside every append: a SIGKILL loses at most the record being taken
      spool: { dir: spoolDir, fsync: 'always' },
      server: { engine: engineName },
    });
    let taken = 0;
    try {
      const a = startAgent(config);
      await waitFor(() => storedCount(db) >= 50, 60_000, '50 records stored from the first agent');
      a.proc.kill('SIGKILL');
      await a.exited;
      taken += a.taken();
      const before = storedCount(db);
      const b = startAgent(config);
      await waitFor(() => storedCount(db) >= before + 50, 60_000, '50 more records stored from the restarted agent');
      b.proc.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      taken += b.taken();
      expect(b.output()).toMatch(/^INFO: link: server connecting -> online/m);
    } finally {
      await srv.stop();
    }
    const spool = await Spool.open({ dir: spoolDir });
    const left = spool.headSeq - spool.ackedSeq;
    await spool.close();
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT time_ms) AS t FROM records').get() as { n: number; t: number };
    const dev = d.prepare('SELECT duplicates, handshakes FROM devices').get() as { duplicates: number; handshakes: number };
    d.close();
    // exactly once: no fix stored under two seqs
    expect(rows.t).toBe(rows.n);
    // no loss: stored + still spooled = taken, less at most the one record being taken at the SIGKILL
    expect(rows.n + left).toBeLessThanOrEqual(taken);
    expect(rows.n + left).toBeGreaterThanOrEqual(taken - 1);
    expect(dev.handshakes).toBeGreaterThanOrEqual(2);
    console.log(`agent kill test: ${taken} taken, ${rows.n} stored, ${left} left in the spool, ${dev.duplicates} retransmissions ignored by the server`);
  }, 180_000);
});
