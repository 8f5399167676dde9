import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { simReceiverUart } from '../../src/gnss/sim/uart.js';
import { validate } from '../../src/base/spec.js';
import { configSpec, type Config } from '../../src/agent/config.js';
import { loadBoard } from '../../src/hal/board.js';
import { createLogger } from '../../src/base/log.js';
import type { Fix } from '../../src/gnss/fix.js';
import type { TakeReason } from '../../src/gnss/filter.js';
import { lineSink } from '../support/wait.js';

function simConfig(): Config {
  const cfg = validate(configSpec, { vehicle: { id: 'AGENT-1' }, board: 'sim', sampling: { minPeriodS: 10 } }, 'test');
  return { ...cfg, file: 'test', boardInfo: loadBoard('sim', '.') };
}

describe('agent on the simulated board', () => {
  it('drives the generated round: records while moving, fix -> no-fix in the tunnel -> fix, none taken without a fix', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: lineSink(lines) });
    const start = Date.UTC(2026, 10, 27, 9);
    const agent = new Agent({ config: simConfig(), log, uart: simReceiverUart({ rateHz: 1, speed: 100, startMs: start, seed: 4 }) });
    const records: [Fix, TakeReason][] = [];
    const fixes: Fix[] = [];
    agent.on('record', (f, r) => records.push([f, r]));
    agent.receiver.on('fix', (f) => fixes.push(f));
    const states: string[] = [];
    agent.status.on('change', (what) => what === 'gnss' && states.push(agent.status.gnss));
    agent.start();
    const t0 = performance.now();
    while (!(states.includes('no-fix') && states.at(-1) === 'fix' && states.lastIndexOf('fix') > states.indexOf('no-fix')) && performance.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await agent.stop();
    expect(states.slice(0, 1)).toEqual(['fix']);
    expect(states).toContain('no-fix');
    expect(states.at(-1)).toBe('fix');
    // the tunnel: no-fix epochs, and no record from them
    const tunnel = fixes.filter((f) => f.mode === 1);
    expect(tunnel.length).toBeGreaterThan(10);
    expect(records.every(([f]) => f.mode >= 2 && f.lat !== null)).toBe(true);
    expect(records[0]![1]).toBe('first');
    const reasons = new Set(records.map(([, r]) => r));
    expect(reasons.has('period')).toBe(true);
    expect(reasons.has('heading') || reasons.has('speed') || reasons.has('distance')).toBe(true);
    // GNSS time, not the system clock: the sim receiver started at 09:00 UTC
    expect(records[0]![0].timeMs).toBeGreaterThanOrEqual(start);
    expect(records[0]![0].timeMs).toBeLessThan(start + 60_000);
    expect(lines.filter((l) => /track: .* \[(first|period|heading|speed|distance|moving|heartbeat)\]$/.test(l))).toHaveLength(records.length);
    expect(lines.filter((l) => /receiver fix -> no-fix/.test(l))).toHaveLength(1);
    const d = agent.status.snapshot().details.gnss as { lastFix: { time: string }; epochs: number; badChecksum: number };
    expect(d.lastFix.time).toBe(new Date(fixes.filter((f) => f.mode >= 2).at(-1)!.timeMs).toISOString());
    expect(d.epochs).toBe(fixes.length);
    expect(d.badChecksum).toBe(0);
  });
});
