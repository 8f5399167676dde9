import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/agent/config.js';
import { loadBoard } from '../../src/hal/board.js';
import { ConfigError } from '../../src/base/errors.js';

function cfgFile(obj: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gs-cfg-'));
  const f = join(dir, 'config.json');
  writeFileSync(f, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return f;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads the example config with the sim board', () => {
    const cfg = loadConfig(new URL('../../examples/sim.json', import.meta.url).pathname);
    expect(cfg.vehicle.id).toBe('TRUCK-001');
    expect(cfg.boardInfo.simulated).toBe(true);
  });

  it.each(['sim', 'pi4-fleet', 'pi5-fleet'])('board %s is valid', (name) => {
    const b = loadBoard(name, '.');
    expect(b.name).toBe(name);
  });

  it('names the file and key of a wrong type', () => {
    const f = cfgFile({ vehicle: { id: 'T1' }, board: 'sim', sampling: { minPeriodS: 'often' } });
    const e = configError(() => loadConfig(f));
    expect(e.key).toBe('sampling.minPeriodS');
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/expected a number/);
  });

  it('rejects an unknown (misspelt) key by name', () => {
    const f = cfgFile({ vehicle: { id: 'T1' }, board: 'sim', sampling: { minPeriod: 1 } });
    expect(configError(() => loadConfig(f)).key).toBe('sampling.minPeriod');
  });

  it('requires the vehicle id and checks its form', () => {
    expect(configError(() => loadConfig(cfgFile({ board: 'sim', vehicle: {} }))).key).toBe('vehicle.id');
    expect(configError(() => loadConfig(cfgFile({ board: 'sim', vehicle: { id: 'a b' } }))).key).toBe('vehicle.id');
  });

  it('reports invalid JSON and missing files', () => {
    expect(configError(() => loadConfig(cfgFile('{"vehicle":'))).message).toMatch(/not valid JSON/);
    expect(configError(() => loadConfig('/nonexistent/geostream.json')).message).toMatch(/no such file/);
  });

  it('names an unknown board', () => {
    const e = configError(() => loadConfig(cfgFile({ vehicle: { id: 'T1' }, board: 'pi9' })));
    expect(e.key).toBe('board');
    expect(e.message).toMatch(/no board named "pi9"/);
  });
});
