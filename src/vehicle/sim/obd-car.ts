import type { SimCanNetwork } from '../../hal/sim/can.js';
import type { SimObdEcu } from './obd-ecu.js';

/**
 * Puts a simulated OBD-II ECU on a simulated CAN bus: every request frame on `iface` goes
 * to the ECU, its answers go back on the bus. Returns a function that detaches it.
 */
export function attachObdEcu(net: SimCanNetwork, iface: string, ecu: SimObdEcu, now: () => number): () => void {
  const port = net.attach(iface, {
    frame: (f) => {
      for (const r of ecu.receive(f, now())) void port.write(r);
    },
    error: () => undefined,
  });
  return () => void port.close();
}
