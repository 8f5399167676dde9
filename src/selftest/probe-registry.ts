import type { Config } from '../config/config.js';
import type { Clock } from '../util/clock.js';
import type { SelftestProbes } from './probes.js';
import { gnssProbe } from './probes/gnss.js';

/**
 * The probes this build has, for a loaded config. Each device area adds its line here
 * when it lands (sensors: I2C identities, LEDs, ignition; link: server handshake).
 * Until then their checks report SKIP.
 */
export function defaultProbes(config: Config, clock: Clock): SelftestProbes {
  return {
    gnss: gnssProbe(config, clock),
  };
}
