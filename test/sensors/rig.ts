import { PassThrough } from 'node:stream';
import { loadBoard } from '../../src/hal/board.js';
import { createLogger } from '../../src/base/log.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { ManualClock, systemClock, type Clock } from '../../src/base/clock.js';
import { realSleep } from '../../src/sensors/chips/sleep.js';
import { buildSimBoard } from '../../src/sensors/sim/chipset.js';
import { buildSamplers } from '../../src/sensors/samplers.js';
import { DEFAULT_SENSORS_CONFIG, SensorHub, type SensorsConfig } from '../../src/sensors/hub.js';
import { repoRoot } from '../support/shared.js';

/** The simulated board with a hub on a manual clock; log lines collected. */
export function hubRig(over: Partial<SensorsConfig> = {}, timeoutMs = 20) {
  const clock = new ManualClock(10_000);
  return rigOn(clock, async (ms: number) => clock.advance(ms), over, timeoutMs);
}

/** The same on real time (for timing that involves the bus timeout itself). */
export function realHubRig(over: Partial<SensorsConfig> = {}, timeoutMs = 20) {
  return rigOn(systemClock, realSleep, over, timeoutMs);
}

function rigOn<C extends Clock>(clock: C, sleep: (ms: number) => Promise<void>, over: Partial<SensorsConfig>, timeoutMs: number) {
  const loaded = loadBoard('sim', repoRoot);
  const board = { ...loaded, i2c: { ...loaded.i2c!, timeoutMs } };
  const sim = buildSimBoard(board, clock);
  const status = new StatusBoard();
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (d: Buffer) => lines.push(...String(d).split('\n').filter(Boolean)));
  const log = createLogger({ json: true, destination: out, level: 'info' });
  const samplers = buildSamplers({ board, bus: sim.bus, gpio: sim.gpio, now: () => clock.now(), sleep });
  const hub = new SensorHub(samplers, { ...DEFAULT_SENSORS_CONFIG, ...over }, clock, log, status);
  const msgs = () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  /** Advances in `step` ms increments up to `ms`, running the schedule at each. */
  const run = async (ms: number, step = 100) => {
    if (!(clock instanceof ManualClock)) throw new Error('run() needs the manual clock');
    const end = clock.now() + ms;
    while (clock.now() < end) {
      await hub.tick();
      clock.advance(step);
    }
  };
  return { board, clock, sim, status, hub, msgs, run };
}
