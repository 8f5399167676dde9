import type { Config } from '../../agent/config.js';
import type { Clock } from '../../base/clock.js';
import { silentLogger } from '../../base/log.js';
import { StatusBoard } from '../../base/status-board.js';
import type { LedName } from '../../status/leds.js';
import { startVehicleIo, type VehicleIo } from '../../agent/vehicle-io.js';
import type { SelftestProbes } from '../probe-types.js';
import { canProbe } from './can.js';

const LEDS: LedName[] = ['gnss', 'link', 'fault'];

/**
 * Sensors, LEDs, ignition and the CAN bus through the agent's own vehicle I/O (real buses on a Pi
 * board, simulated ones on the sim board), started once for the checks that need it.
 * Each sampler checks its chip's identity on first contact (e.g. a BME280's chip id).
 */
export function vehicleProbes(config: Config, clock: Clock, onStart?: (vio: VehicleIo) => void): Pick<SelftestProbes, 'i2c' | 'leds' | 'ignition' | 'can' | 'dispose'> {
  const status = new StatusBoard();
  let vio: VehicleIo | undefined;
  const get = (): VehicleIo => {
    if (!vio) {
      vio = startVehicleIo({ board: config.boardInfo, config, status, clock, log: silentLogger() });
      onStart?.(vio); // tests: fault injection on the simulated board
    }
    return vio;
  };
  const board = config.boardInfo;
  let sampled: Promise<void> | undefined;
  const can = canProbe(config, clock, () => get().sim?.vehicle ?? null);
  return {
    ...(can ? { can } : {}),
    i2c: {
      async identify() {
        const v = get();
        sampled ??= v.hub.stop().then(() => v.hub.sampleAll());
        await sampled;
        return v.hub.sensors().map((s) => ({
          name: s.name,
          bus: board.i2c?.bus ?? 1,
          ok: s.state !== 'failed' && s.failures === 0,
          found: s.state,
          ...(s.lastError ? { error: s.lastError } : {}),
        }));
      },
    },
    leds: {
      async cycle(onMs, signal) {
        const v = get();
        if (!v.leds) return [];
        const leds = v.leds;
        const present = LEDS.filter((n) => board.gpio?.leds?.[n] !== undefined);
        for (const n of present) leds.set(n, 'off');
        for (const n of present) {
          if (signal.aborted) break;
          leds.set(n, 'on');
          await new Promise((r) => setTimeout(r, onMs));
          leds.set(n, 'off');
        }
        for (const n of present) leds.set(n, null);
        const faults = status.snapshot().faults;
        return present.map((n) => ({ led: n, ok: !(`led:${n}` in faults), ...(faults[`led:${n}`] ? { error: faults[`led:${n}`] } : {}) }));
      },
    },
    ignition: {
      async read() {
        const v = get();
        const line = board.gpio?.ignition?.line;
        if (!v.ignition || line === undefined) return null;
        return { on: v.ignition.state, line: `GPIO ${line}${board.simulated ? ' (simulated)' : ''}` };
      },
    },
    async dispose() {
      await vio?.stop();
    },
  };
}
