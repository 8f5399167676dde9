import { int, malformed, num, position, timeOfDay } from './fields.js';
import type { SentenceDecoder } from './types.js';

const MODE = /^[ADEFMNPRS]{1,6}$/;

/**
 * GNS: the multi-constellation GGA: time, position, one mode letter per system
 * (N = that system has no fix), satellites, HDOP, altitude (MSL). All N = no fix.
 */
export const gns: SentenceDecoder = {
  type: 'GNS',
  minFields: 10,
  decode(f) {
    const mode = f[6] ?? '';
    if (!MODE.test(mode)) malformed('mode', mode);
    return {
      tod: timeOfDay(f[1]),
      pos: position(f, 2),
      sats: int(f[7], 'satellites'),
      hdop: num(f[8], 'hdop'),
      alt: num(f[9], 'altitude'),
      noFix: /^N+$/.test(mode),
      rank: 3,
    };
  },
};
