import type { Command } from './command.js';
import { numberOption, parseCommandArgs } from './command.js';
import { UsageError } from '../base/errors.js';
import { loadConfig } from '../agent/config.js';
import { createLogger } from '../base/log.js';
import { StatusBoard } from '../base/status-board.js';
import { systemClock } from '../base/clock.js';
import { startVehicleIo } from '../agent/vehicle-io.js';
import { faultNames } from '../sensors/faults.js';
import type { SensorHub } from '../sensors/hub.js';

const USAGE = `Usage: geostream sensors --config FILE [--once] [--interval MS] [--count N]

Reads the engine, tyre and cabin sensors and the ignition/tach inputs the board
file wires, on the config's schedule, and prints one JSON line per interval with
the vehicle fields of a telemetry record (batteryMv, rpm, coolantDc, oilKpa,
fuelPm, tyresKpa, cabinDc, humidityPm, ignition), the fault bitmask ("faults")
and its names ("faultNames"). Values that expired are absent. Log lines (sensor
state changes) go to stderr.

Options:
  --config FILE   agent config (its "board" names the wiring; "sim" simulates it)
  --once          read every sensor once (twice, one engine period apart, so the
                  tach has a window), print one line, exit (1 if any sensor failed)
  --interval MS   print interval (default: the engine period)
  --count N       stop after N lines`;

function line(hub: SensorHub): string {
  const v = hub.latest();
  return JSON.stringify({ time: new Date().toISOString(), ...v, faultNames: faultNames(v.faults ?? 0) });
}

export const sensorsCommand: Command = {
  name: 'sensors',
  summary: 'read the vehicle sensors and print them as JSON lines',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, once: { type: 'boolean' }, interval: { type: 'string' }, count: { type: 'string' } }, false);
    if (!values.config) throw new UsageError('--config FILE is required');
    const cfg = loadConfig(values.config);
    const log = createLogger({ level: cfg.log.level, destination: io.stderr });
    const status = new StatusBoard();
    const vio = startVehicleIo({ board: cfg.boardInfo, config: cfg, status, clock: systemClock, log });
    const engineMs = cfg.sensors?.engineMs ?? 1000;
    try {
      if (values.once) {
        await vio.hub.stop(); // no schedule: exactly the reads we ask for
        await vio.hub.sampleAll();
        await new Promise((r) => setTimeout(r, engineMs));
        await vio.hub.sampleAll();
        io.stdout.write(`${line(vio.hub)}\n`);
        return vio.hub.sensors().some((s) => s.state === 'failed' || s.failures > 0) ? 1 : 0;
      }
      const every = numberOption('interval', values.interval, 100, 3_600_000) ?? engineMs;
      const count = numberOption('count', values.count, 1) ?? Infinity;
      let printed = 0;
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          clearInterval(t);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        const t = setInterval(() => {
          io.stdout.write(`${line(vio.hub)}\n`);
          if (++printed >= count) stop();
        }, every);
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      return 0;
    } finally {
      await vio.stop();
    }
  },
};
