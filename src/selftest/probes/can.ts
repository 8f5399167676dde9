import type { Config } from '../../agent/config.js';
import { canLinkInfo } from '../../hal/linux/can-link.js';
import { silentLogger } from '../../base/log.js';
import type { SimVehicle } from '../../sim/vehicle.js';
import { StatusBoard } from '../../base/status-board.js';
import type { Clock } from '../../base/clock.js';
import { startCanVehicle } from '../../agent/can-source.js';
import type { CanProbe, CanSample } from '../probe-types.js';

/**
 * The board's CAN bus through the agent's own CAN source (SocketCAN on a Pi board; the
 * simulated truck or car on the sim board), listened to for the sample time; on a real
 * board also the interface's state and bit rate as the kernel has them.
 */
export function canProbe(config: Config, clock: Clock, simVehicle: () => SimVehicle | null): CanProbe | undefined {
  const board = config.boardInfo;
  const cfg = board.can;
  if (!cfg) return undefined;
  return {
    async sample(durationMs, signal) {
      const status = new StatusBoard();
      const link = board.simulated ? null : await canLinkInfo(cfg.iface);
      const t0 = clock.now();
      const can = startCanVehicle({ board, clock, log: silentLogger(), status, simVehicle: board.simulated ? simVehicle() : null })!;
      try {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, durationMs);
          signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      } finally {
        await can.stop();
      }
      const st = can.source.stats;
      const portError = status.snapshot().faults.can;
      const out: CanSample = {
        iface: cfg.iface, protocol: cfg.protocol, bitrate: cfg.bitrate, simulated: board.simulated, link,
        durationMs: clock.now() - t0, frames: st.frames, readings: st.readings, busOff: st.busOff, answered: { ...st.answered },
      };
      if (portError) out.portError = portError;
      return out;
    },
  };
}
