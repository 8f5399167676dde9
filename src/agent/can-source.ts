import type { Board } from '../hal/board.js';
import type { Can } from '../hal/can.js';
import { openLinuxCan } from '../hal/open.js';
import { SimCanNetwork } from '../hal/sim/can.js';
import type { Logger } from '../base/log.js';
import type { SimVehicle } from '../sim/vehicle.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import { VinOnce, canFields, type CanFields } from '../vehicle/record-fields.js';
import { SimJ1939Truck } from '../vehicle/sim/j1939-truck.js';
import { SimObdEcu } from '../vehicle/sim/obd-ecu.js';
import { attachObdEcu } from '../vehicle/sim/obd-car.js';
import { CanVehicleSource } from '../vehicle/source.js';

export interface CanVehicle {
  source: CanVehicleSource;
  /** The simulated truck on a simulated board (tests, demo). */
  truck: SimJ1939Truck | null;
  /** Record fields from the bus now (the VIN in the first record of a session). */
  fields(): CanFields;
  setIgnition(on: boolean): void;
  stop(): Promise<void>;
}

export interface CanVehicleOptions {
  board: Board;
  clock: Clock;
  log: Logger;
  status: StatusBoard | null;
  /** The simulated board's vehicle model (drives the simulated ECUs). */
  simVehicle?: SimVehicle | null;
  /** Buses to use instead of the board's (tests). */
  can?: Can;
}

/**
 * The vehicle's CAN bus for the agent, when the board has one: SocketCAN on a real board;
 * on the simulated board a J1939 truck (or an OBD-II car) on a simulated bus, driven by
 * the same vehicle model as the simulated sensors. A bus that cannot open is retried and
 * reported on the status board; it never stops the agent.
 */
export function startCanVehicle(o: CanVehicleOptions): CanVehicle | null {
  const cfg = o.board.can;
  if (!cfg) return null;
  const log = o.log.child({ component: 'can' });
  let can = o.can;
  let truck: SimJ1939Truck | null = null;
  let detach: (() => void) | null = null;
  if (!can && o.board.simulated) {
    const net = new SimCanNetwork(() => o.clock.wallNow());
    can = net;
    const state = o.simVehicle ? () => o.simVehicle!.update(o.clock.now()) : null;
    if (state && cfg.protocol === 'j1939') {
      truck = new SimJ1939Truck(net, cfg.iface, state, () => o.clock.now());
      truck.start();
    } else if (state) {
      const rpm = () => Math.round(state().rpm * 4);
      const ecu = new SimObdEcu({
        pids: {
          0x05: () => [Math.round(state().coolantC + 40)],
          0x0c: () => [rpm() >> 8, rpm() & 0xff],
          0x0d: () => [Math.round(SimJ1939Truck.drive(state().rpm).speedKmh)],
          0x2f: () => [Math.round((state().fuelPct * 255) / 100)],
        },
        vin: 'WVWZZZ1JZXW000001',
      });
      detach = attachObdEcu(net, cfg.iface, ecu, () => o.clock.now());
    }
  }
  const source = new CanVehicleSource(can ?? openLinuxCan(), cfg, o.clock, log, o.status);
  source.start().catch((err: unknown) => log.error(`CAN: ${errorMessage(err)}`));
  const vin = new VinOnce();
  return {
    source,
    truck,
    fields() {
      const v = source.snapshot();
      const f = canFields(v);
      const id = vin.take(v.vin);
      if (id !== undefined) f.vin = id;
      return f;
    },
    setIgnition(on) {
      if (on) vin.reset();
      source.setIgnition(on);
    },
    async stop() {
      truck?.stop();
      detach?.();
      await source.stop();
    },
  };
}
