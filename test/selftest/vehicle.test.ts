// The self-test's sensor, LED and ignition probes through the agent's vehicle I/O on the
// simulated board (register-level chip models), with a chip unplugged.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/agent/config.js';
import { systemClock } from '../../src/base/clock.js';
import { vehicleProbes } from '../../src/selftest/probes/vehicle.js';
import { runChecks } from '../../src/selftest/runner.js';
import { checks } from '../../src/selftest/checks/index.js';
import type { VehicleIo } from '../../src/agent/vehicle-io.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-selftest-vio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'config.json');
writeFileSync(file, JSON.stringify({ vehicle: { id: 'TRUCK-VIO' }, board: 'sim', spool: { dir: join(dir, 'spool') } }));
const config = loadConfig(file);
const picked = checks.filter((c) => ['i2c', 'leds', 'ignition'].includes(c.id));

async function run(onStart?: (vio: VehicleIo) => void) {
  const probes = vehicleProbes(config, systemClock, onStart);
  try {
    return Object.fromEntries((await runChecks(picked, { config, tlsDir: dir, clock: systemClock, probes })).map((r) => [r.id, r]));
  } finally {
    await probes.dispose!();
  }
}

describe('selftest sensors, LEDs and ignition on the simulated board', () => {
  it('every chip answers, each LED is lit in turn, the ignition input reads', async () => {
    const r = await run();
    expect(r.i2c!.status).toBe('PASS');
    expect(r.i2c!.summary).toMatch(/cabin ok/);
    expect(r.leds!.summary).toBe('gnss, link, fault lit in turn: check each one lit');
    expect(r.ignition!.summary).toMatch(/^GPIO \d+ \(simulated\): ignition (ON|OFF)/);
  });

  it('an unplugged cabin sensor (BME280 not acknowledging) fails the I2C check naming it', async () => {
    const r = await run((vio) => {
      const bme = vio.sim!.chips.get('cabin')!;
      vio.sim!.bus.fault(bme, { kind: 'nack' });
    });
    expect(r.i2c!.status).toBe('FAIL');
    expect(r.i2c!.summary).toBe('1 of 12 wrong or missing');
    expect(r.i2c!.reason).toMatch(/^cabin on bus 1: /);
    expect(r.i2c!.fix).toMatch(/i2cdetect/);
  });
});
