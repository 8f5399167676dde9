import type { Config } from '../config/config.js';
import type { Clock } from '../util/clock.js';
import type { SelftestProbes } from './probes.js';
import { gnssProbe } from './probes/gnss.js';
import { vehicleProbes } from './probes/vehicle.js';

/**
 * The probes this build has, for a loaded config. The link work adds the server
 * handshake here when it lands; until then that check reports SKIP.
 */
export function defaultProbes(config: Config, clock: Clock): SelftestProbes {
  return {
    gnss: gnssProbe(config, clock),
    ...vehicleProbes(config, clock),
  };
}
