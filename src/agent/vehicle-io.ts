import type { Board } from '../hal/board.js';
import type { Config } from './config.js';
import type { Gpio } from '../hal/gpio.js';
import type { I2cBus } from '../hal/i2c.js';
import { openLinuxGpio, openLinuxI2c } from '../hal/open.js';
import type { Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import { StatusLeds } from '../status/leds.js';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import { checkBoardWiring } from '../sensors/board-check.js';
import { DEFAULT_SENSORS_CONFIG, SensorHub, type SensorsConfig } from '../sensors/hub.js';
import { Ignition } from '../sensors/ignition.js';
import { FAULT } from '../sensors/faults.js';
import { buildSamplers } from '../sensors/samplers.js';
import { buildSimBoard, type SimBoard } from '../sensors/sim/chipset.js';
import type { Sleep } from '../sensors/chips/sleep.js';

export interface VehicleIo {
  /** Sensor values for each record: `hub.latest()`. */
  hub: SensorHub;
  leds: StatusLeds | null;
  /** Emits 'ignition'(on); null when the board has no ignition input. */
  ignition: Ignition | null;
  /** The simulated hardware on a simulated board (tests, demo controls). */
  sim: SimBoard | null;
  /** LEDs off, sampling stopped, lines and bus released. Never throws. */
  stop(): Promise<void>;
}

export interface VehicleIoOptions {
  board: Board;
  config: Pick<Config, 'sensors'> | { sensors?: SensorsConfig };
  status: StatusBoard;
  clock: Clock;
  log: Logger;
  /** Hardware to use instead of the board's (tests). */
  hal?: { bus: I2cBus | null; gpio: Gpio | null };
  sleep?: Sleep;
}

/**
 * Everything on the vehicle side of the board for the agent: sensors on schedule,
 * status LEDs, the ignition input. Synchronous: chips are first touched by the
 * first sample. A part that cannot start (LED line busy, no sysfs GPIO) is reported
 * on the StatusBoard and logged; the rest runs. Bad wiring in the board file is a
 * ConfigError. The agent (agent.ts) starts it, takes each record's vehicle fields from
 * `hub.latest()`, follows `ignition`, and stops it on shutdown.
 */
export function startVehicleIo(o: VehicleIoOptions): VehicleIo {
  checkBoardWiring(o.board);
  const cfg: SensorsConfig = o.config.sensors ?? DEFAULT_SENSORS_CONFIG;
  const log = o.log.child({ component: 'sensors' });
  let sim: SimBoard | null = null;
  let bus: I2cBus | null;
  let gpio: Gpio | null;
  if (o.hal) ({ bus, gpio } = o.hal);
  else if (o.board.simulated) {
    sim = buildSimBoard(o.board, o.clock);
    bus = sim.bus;
    gpio = sim.gpio;
    sim.start();
  } else {
    bus = openLinuxI2c(o.board);
    gpio = o.board.gpio ? openLinuxGpio(o.board) : null;
  }

  let ignition: Ignition | null = null;
  let ignitionFailed = false;
  const ign = o.board.gpio?.ignition;
  if (cfg.enabled && ign && gpio) {
    try {
      ignition = new Ignition(gpio, ign, o.clock, log, o.status);
    } catch (err) {
      ignitionFailed = true;
      log.error(`ignition input unavailable: ${errorMessage(err)}`);
      o.status.setFault('sensor:ignition', errorMessage(err));
    }
  }

  const samplers = cfg.enabled ? buildSamplers({ board: o.board, bus, gpio, now: () => o.clock.now(), sleep: o.sleep }) : [];
  const hub = new SensorHub(samplers, cfg, o.clock, log, o.status, ignition ? () => ignition!.state : undefined);
  if (ignitionFailed) hub.extraFaults |= FAULT.ignition;
  hub.start();

  let leds: StatusLeds | null = null;
  if (o.board.gpio?.leds && gpio) {
    try {
      leds = new StatusLeds(gpio, o.board.gpio.leds, o.status, o.log.child({ component: 'leds' }));
    } catch (err) {
      log.error(`status LEDs unavailable: ${errorMessage(err)}`);
    }
  }

  let stopped = false;
  return {
    hub,
    leds,
    ignition,
    sim,
    async stop() {
      if (stopped) return;
      stopped = true;
      const step = async (what: string, fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          log.warn(`stopping ${what}: ${errorMessage(err)}`);
        }
      };
      await step('LEDs', () => leds?.stop());
      await step('sensors', () => hub.stop());
      await step('ignition', () => ignition?.stop());
      sim?.stop();
      await step('I2C bus', () => bus?.close());
      await step('GPIO', () => gpio?.close());
    },
  };
}
