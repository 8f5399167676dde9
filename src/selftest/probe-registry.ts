import type { Config } from '../config/config.js';
import type { SelftestProbes } from './probes.js';

/**
 * The probes this build has, for a loaded config. Each device area adds its line here
 * when it lands (gnss: UART sample; sensors: I2C identities, LEDs, ignition; link:
 * server handshake). Until then their checks report SKIP.
 */
export function defaultProbes(_config: Config): SelftestProbes {
  return {};
}
