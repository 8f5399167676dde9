import { afterEach, describe, expect, it } from 'vitest';
import { LinkPipeline } from '../../src/agent/pipeline.js';
import { SEQ_LEASE_STEP } from '../../src/spool/constants.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { systemClock } from '../../src/base/clock.js';
import { silentLogger } from '../../src/base/log.js';
import type { Fix } from '../../src/gnss/fix.js';
import { tempDir } from '../spool/helpers.js';

const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);
const fix = (i: number) => ({ timeMs: T0 + i * 1000, lat: 52.5, lon: 13.4, mode: 3 }) as unknown as Fix;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function open(dir: string, status: StatusBoard): Promise<LinkPipeline> {
  return LinkPipeline.open({
    vehicleId: 'TRUCK-042',
    firmware: 'test',
    schema: 1,
    spool: { dir },
    link: null,
    encode: (f, seq) => new TextEncoder().encode(`${seq}:${f.timeMs}`),
    clock: systemClock,
    log: silentLogger(),
    status,
  });
}

describe('the backlog the StatusBoard shows', () => {
  it('after a crash (seqs jump past the lease) is the records that exist, not head - acked', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const a = await open(dir, new StatusBoard());
    for (let i = 0; i < 100; i++) a.take(fix(i));
    await a.spool.flush();
    // crash: the first pipeline is abandoned, never closed
    const status = new StatusBoard();
    const b = await open(dir, status);
    expect(status.snapshot().backlog).toBe(100);
    b.take(fix(100));
    expect(b.spool.headSeq).toBeGreaterThanOrEqual(SEQ_LEASE_STEP);
    expect(b.backlog).toBe(101);
    expect(status.snapshot().backlog).toBe(101);
    await b.spool.flush();
    expect(status.snapshot().backlog).toBe(101);
    b.spool.ack(b.spool.headSeq);
    expect(status.snapshot().backlog).toBe(0);
    await b.spool.close();
  });
});
