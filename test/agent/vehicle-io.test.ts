import { afterAll, describe, expect, it } from 'vitest';
import { captureIo } from '../support/cli-io.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { loadBoard } from '../../src/hal/board.js';
import { silentLogger } from '../../src/base/log.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { systemClock } from '../../src/base/clock.js';
import { startVehicleIo } from '../../src/agent/vehicle-io.js';
import { DEFAULT_SENSORS_CONFIG } from '../../src/sensors/hub.js';
import { FAULT } from '../../src/sensors/faults.js';
import { SimGpio } from '../../src/hal/sim/gpio.js';
import { SimI2cBus } from '../../src/hal/sim/i2c.js';
import { repoRoot } from '../support/shared.js';

const io = () => captureIo();

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sensors-cli-'));
  dirs.push(dir);
  const f = join(dir, 'config.json');
  writeFileSync(f, JSON.stringify({ vehicle: { id: 'TRUCK-001' }, board: join(repoRoot, 'board', 'sim.json'), log: { level: 'warn' }, ...extra }));
  return f;
}

describe('geostream sensors', () => {
  it('--once on the simulated board prints one JSON line with every vehicle field and no faults', async () => {
    const t = io();
    expect(await main(['sensors', '--config', config({ sensors: { engineMs: 300 } }), '--once'], t.io)).toBe(0);
    const lines = t.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(o).sort()).toEqual(['batteryMv', 'cabinDc', 'coolantDc', 'faultNames', 'faults', 'fuelPm', 'humidityPm', 'ignition', 'oilKpa', 'rpm', 'time', 'tyresKpa'].sort());
    expect(o.faults).toBe(0);
    expect(o.faultNames).toEqual([]);
    expect(o.ignition).toBe(true);
    expect(o.rpm as number).toBeGreaterThan(500);
  });

  it('a config error names the file and key, exit 2', async () => {
    const t = io();
    expect(await main(['sensors', '--config', config({ sensors: { engineMs: 5 } }), '--once'], t.io)).toBe(2);
    expect(t.err()).toMatch(/key 'sensors.engineMs': 5 is out of range/);
  });

  it('--config is required', async () => {
    const t = io();
    expect(await main(['sensors', '--once'], t.io)).toBe(2);
    expect(t.err()).toMatch(/--config FILE is required/);
  });
});

describe('geostream gpio', () => {
  it('led NAME on works on the simulated board; an unknown LED is a config error naming the key', async () => {
    const t = io();
    expect(await main(['gpio', '--config', config(), 'led', 'fault', 'on'], t.io)).toBe(0);
    expect(t.out()).toMatch(/LED fault \(GPIO 13, simulated\): on/);
    const u = io();
    expect(await main(['gpio', '--config', config(), 'led', 'power', 'on'], u.io)).toBe(2);
    expect(u.err()).toMatch(/gpio.leds.power.*no LED named "power" \(known: gnss, link, fault\)/);
    const v = io();
    expect(await main(['gpio', '--config', config(), 'led', 'gnss', 'dim'], v.io)).toBe(2);
  });
});

describe('startVehicleIo', () => {
  it('runs the sim board, reports ignition, lights LEDs from the StatusBoard and turns them all off on stop', async () => {
    const board = loadBoard('sim', repoRoot);
    const status = new StatusBoard();
    const vio = startVehicleIo({ board, config: { sensors: { ...DEFAULT_SENSORS_CONFIG, engineMs: 200 } }, status, clock: systemClock, log: silentLogger() });
    status.setGnss('fix');
    status.setFault('storage', 'disk full');
    const gpio = vio.sim!.gpio;
    expect(gpio.level(5)).toBe(1);
    expect(gpio.level(13)).toBe(1);
    await new Promise((r) => setTimeout(r, 700));
    const v = vio.hub.latest();
    expect(v.ignition).toBe(true);
    expect(v.batteryMv).toBeGreaterThan(20_000);
    await vio.stop();
    expect(gpio.claimedLines()).toEqual([]);
  });

  it('a board whose LED and ignition lines are taken still samples; the failures are on the StatusBoard', async () => {
    const board = loadBoard('sim', repoRoot);
    const gpio = new SimGpio();
    gpio.output(5); // GNSS LED line held elsewhere
    gpio.output(17); // ignition line held elsewhere
    const bus = new SimI2cBus('empty', 20); // no chips answer at all
    const status = new StatusBoard();
    const vio = startVehicleIo({ board, config: {}, status, clock: systemClock, log: silentLogger(), hal: { bus, gpio } });
    await vio.hub.sampleAll();
    const f = status.snapshot().faults;
    expect(f['led:gnss']).toMatch(/in use/);
    expect(f['sensor:ignition']).toMatch(/in use/);
    expect(vio.ignition).toBeNull();
    expect(vio.hub.latest().faults! & FAULT.ignition).toBe(FAULT.ignition);
    expect(vio.hub.sensors().find((s) => s.name === 'battery')!.lastError).toMatch(/nack/);
    await vio.stop();
  });
});
