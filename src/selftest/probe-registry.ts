import type { Config } from '../agent/config.js';
import type { Clock } from '../base/clock.js';
import type { SelftestProbes } from './probe-types.js';
import { gnssProbe } from './probes/gnss.js';
import { vehicleProbes } from './probes/vehicle.js';
import { serverProbe } from './probes/server.js';

/** The probes this build has, for a loaded config (the server probe only when the config names a server). */
export function defaultProbes(config: Config, clock: Clock): SelftestProbes {
  return {
    gnss: gnssProbe(config, clock),
    ...vehicleProbes(config, clock),
    server: serverProbe(config, clock),
  };
}
